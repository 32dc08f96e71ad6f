/**
 * Root hooks: every test file's spawned PIDs and temp dirs are cleaned up after the run; then the run must
 * exit by itself, or fail naming what is still open (helpers/leaks.ts).
 */
import { cleanupPids, cleanupTempDirs } from './helpers/common.js';
import { armLeakWatchdog } from './helpers/leaks.js';

after(async () => {
  await cleanupPids();
  cleanupTempDirs();
  armLeakWatchdog();
});
