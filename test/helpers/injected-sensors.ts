/**
 * The agent's real sensors (agent/control/sensors.ts) with any reading replaced by a test's or a bench's:
 * `values` holds `metric` (a host metric) or `key metric` (an instance's) → the value to read instead.
 */
import { ProcSensors, type SensorSource } from '../../agent/control/sensors.js';

export class InjectedSensors implements SensorSource {
  readonly values = new Map<string, number>();
  private readonly real = new ProcSensors({ onDemandHot: () => 0 });

  host(wanted: Parameters<SensorSource['host']>[0]) {
    const r = this.real.host(wanted);
    for (const m of wanted) {
      const v = this.values.get(m);
      if (v !== undefined) r.set(m, v);
    }
    return r;
  }

  instances(...[inputs, now]: Parameters<SensorSource['instances']>) {
    this.real.instances(inputs, now);
    for (const i of inputs)
      i.metrics.forEach((m, j) => {
        const v = this.values.get(`${i.key} ${m}`);
        if (v !== undefined) [i.values[j], i.unavailable[j]] = [v, ''];
      });
  }
}
