import type * as Runtime from '../local-runtime.ts';

// The local runtime (the AWS SDK, DynamoDB Local, the sandbox provider) loads on the first command that
// needs it: `--help` and bad input answer without it.
const load = () => import('../local-runtime.ts');

export const openLocalRuntime: typeof Runtime.openLocalRuntime = async (...a) => (await load()).openLocalRuntime(...a);
export const drainQueues: typeof Runtime.drainQueues = async (...a) => (await load()).drainQueues(...a);
export const runNight: typeof Runtime.runNight = async (...a) => (await load()).runNight(...a);
export const runLifecycle: typeof Runtime.runLifecycle = async (...a) => (await load()).runLifecycle(...a);
