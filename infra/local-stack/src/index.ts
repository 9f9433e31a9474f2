export { LocalStack, type LocalStackOptions, type StackUrls } from './local-stack';
export { waitForReady } from './readiness';
export { type GatewayPorts, STACK_PROCESS } from './service-specs';
export { readStackConfig, STACK_PORT_VARIABLES, type StackConfig } from './stack-config';
export {
  type ChildHandle,
  describeExit,
  type SupervisedChild,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor';
