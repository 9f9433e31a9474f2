export {
  currentDeadline,
  isRequestDeadlineExceeded,
  RequestDeadline,
  RequestDeadlineExceededError,
  runOutsideDeadline,
  runWithDeadline,
  runWithReserve,
  withinRequestDeadline,
} from './request-deadline';
export { DeadlineExceededError, withDeadline } from './with-deadline';
