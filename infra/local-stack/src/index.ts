export { LocalStack, type LocalStackOptions, StackRefusal, type StackUrls } from './local-stack';
export {
  DEV_IDENTITY_SIGNING_KEY,
  RUNNER_DEFAULTS,
  RUNNER_OWNED,
  serviceEnvironment,
  settingNotices,
} from './service-environment';
export { type GatewayPorts, type ServiceSpec, STACK_PROCESS } from './service-specs';
export { readStackConfig, STACK_PORT_VARIABLES, type StackConfig, stackPorts } from './stack-config';
export {
  type ChildHandle,
  type SupervisedChild,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor';
