/** Root hooks: every test file's spawned PIDs and temp dirs are cleaned up after the run. */
import { cleanupPids, cleanupTempDirs } from './helpers/common.js';

after(async () => {
  await cleanupPids();
  cleanupTempDirs();
});
