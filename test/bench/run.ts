/** `npm run bench`: runs every benchmark (or the ones named: `npm run bench -- supervisor`) and prints its figures. */
import { runActivityBench } from './activity-bench.js';
import { runCgroupStopBench, runSpawnTrackingBench } from './cgroup-bench.js';
import { runChaosBench } from './chaos-bench.js';
import { runCliStartBench } from './cli-start-bench.js';
import { runControlPlaneBench } from './control-plane-bench.js';
import { runDiscoveryBench } from './discovery-bench.js';
import { runEtcdStoreBench } from './etcd-store-bench.js';
import { runExecBench } from './exec-bench.js';
import { runExecutionLogBench } from './execution-log-bench.js';
import { runFailoverBench, runFollowerReadsBench } from './failover-bench.js';
import { runFleetBench } from './fleet-bench.js';
import { runFreezeBench } from './freeze-bench.js';
import { runIdleBench } from './idle-bench.js';
import { runLocalPsBench } from './local-ps-bench.js';
import { runMetricsBench } from './metrics-bench.js';
import { runNotifyBench } from './notify-bench.js';
import { runOnDemandBench } from './on-demand-bench.js';
import { runOperatorBench } from './operator-bench.js';
import { runPm2LeakBench } from './pm2-leak-bench.js';
import { runPolicyCostBench, runPolicyReactionBench } from './policy-bench.js';
import { runPolicyEngineBench } from './policy-engine-bench.js';
import { runRolloutBench } from './rollout-bench.js';
import { runSupervisorBench } from './supervisor-bench.js';
import { runWatchBench } from './watch-bench.js';
import { runTopViewBench } from './top-view-bench.js';
import { runYamlBench } from './yaml-bench.js';

const BENCHES: Record<string, () => Promise<void>> = {
  discovery: runDiscoveryBench,
  supervisor: runSupervisorBench,
  'execution-log': runExecutionLogBench,
  'execution-log-etcd': runEtcdStoreBench,
  'control-plane': runControlPlaneBench,
  'fleet-500': runFleetBench,
  rollout: runRolloutBench,
  'on-demand': runOnDemandBench,
  chaos: runChaosBench,
  yaml: runYamlBench,
  'cli-start': runCliStartBench,
  'local-ps': runLocalPsBench,
  operator: runOperatorBench,
  idle: runIdleBench,
  'cgroup-stop': runCgroupStopBench,
  'spawn-tracking': runSpawnTrackingBench,
  'activity-check': runActivityBench,
  notify: runNotifyBench,
  freeze: runFreezeBench,
  watch: runWatchBench,
  'top-view': runTopViewBench,
  metrics: runMetricsBench,
  exec: runExecBench,
  'pm2-leak': runPm2LeakBench,
  'policy-cost': runPolicyCostBench,
  'policy-reaction': runPolicyReactionBench,
  'policy-engine': runPolicyEngineBench,
  failover: runFailoverBench,
  'follower-reads': runFollowerReadsBench,
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!BENCHES[name]) {
    console.error(`unknown benchmark ${name} (known: ${Object.keys(BENCHES).join(', ')})`);
    process.exit(2);
  }
}
for (const [name, run] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  await run();
}
