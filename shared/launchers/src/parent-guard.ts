// Preloaded (`node --require`) by startNodeService({ exitWithParent: true }): when the tool that started the
// child dies without stopping it (a crash, a SIGKILL), the child is re-parented and this sends it the
// SIGTERM its own graceful shutdown handles, so no service outlives the run.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();
