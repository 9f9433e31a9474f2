export { freshDatabase, type SharedTestServers, sharedServers } from './shared-servers';
