// A vitest setup file (vitest.config.ts `setupFiles`): runs in every test file.
import { removeTempDirsAfterAll } from './temp.js';

removeTempDirsAfterAll();
