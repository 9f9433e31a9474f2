export {
  type GatewayPorts,
  LocalStack,
  type LocalStackOptions,
  STACK_PROCESS,
  type StackUrls,
} from './local-stack';
export { processTree, signalProcessTree } from './process-tree';
export { readStackConfig, type StackConfig } from './stack-config';
export {
  type ChildHandle,
  describeExit,
  type SupervisedChild,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor';
