/** `npm run bench`: runs every benchmark and prints its figures. */
import { runSupervisorBench } from './supervisor-bench.js';

await runSupervisorBench();
