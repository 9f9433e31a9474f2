import { describe, expect, it } from 'vitest';
import { parseChaosOptions } from '../src/chaos/chaos.options';
import { CLUSTER_FAULT_IDS } from '../src/chaos/cluster/stack-faults';
import { FAULT_IDS } from '../src/chaos/faults';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseChaosOptions(argv, env, '/repo');

describe('chaos options', () => {
  it('when no topology is given, then the single-node faults run', () => {
    expect(parse([])).toMatchObject({ topology: 'single', faults: [...FAULT_IDS] });
  });

  it('when --topology cluster (or CHAOS_TOPOLOGY=cluster) is given, then the state cluster failover faults run', () => {
    expect(parse(['--topology', 'cluster'])).toMatchObject({
      topology: 'cluster',
      faults: [...CLUSTER_FAULT_IDS],
    });
    expect(parse([], { CHAOS_TOPOLOGY: 'cluster' }).faults).toEqual([...CLUSTER_FAULT_IDS]);
    expect(parse(['--only', 'cluster-failover', '--topology', 'cluster', '--short'])).toMatchObject({
      mode: 'short',
      faults: ['cluster-failover'],
    });
  });

  it('when --only names a fault of the other topology, then parsing fails with the usage', () => {
    expect(() => parse(['--topology', 'cluster', '--only', 'redis-kill'])).toThrow(
      /unknown fault redis-kill for the cluster topology/,
    );
    expect(() => parse(['--only', 'cluster-failover'])).toThrow(/unknown fault cluster-failover/);
    expect(() => parse(['--topology', 'sharded'])).toThrow(/--topology must be single or cluster/);
  });

  it('when --instances N is given, then N of every service run and every single-node fault but the partition', () => {
    expect(parse([])).toMatchObject({ instances: 1, l1: false });
    expect(parse(['--l1', '--instances', '2'])).toMatchObject({ instances: 2, l1: true });
    expect(parse(['--instances', '2'])).toMatchObject({
      instances: 2,
      topology: 'single',
      faults: FAULT_IDS.filter((id) => id !== 'gateway-partition'),
    });
    expect(() => parse(['--instances', '2', '--only', 'gateway-partition'])).toThrow(
      /unknown fault gateway-partition/,
    );
    for (const bad of ['0', '17', '1.5', 'two'])
      expect(() => parse(['--instances', bad]), bad).toThrow(
        /--instances must be a whole number from 1 to 16/,
      );
    expect(() => parse(['--instances', '2', '--topology', 'cluster'])).toThrow(/choose one/);
  });
});
