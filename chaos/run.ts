// `npm run chaos -- --seeds N --backend sqlite|postgres [--seed-start K] [--replicas R]` (docs/chaos.md).
import { main } from './cli.ts';

export { main };

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
