// Preloaded (`node --require`) into every child process the suite starts: when the suite dies without
// stopping it (a crash, a SIGKILL), the child is re-parented and this sends it the SIGTERM its own
// graceful shutdown handles, so no service or target outlives the run.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();
