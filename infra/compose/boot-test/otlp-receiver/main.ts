// The receiver container's entry point: Jaeger all-in-one's ports on every interface, until SIGTERM/SIGINT.
import { startOtlpReceiver } from './otlp-receiver.ts';

const receiver = await startOtlpReceiver({
  host: '0.0.0.0',
  grpcPort: 4317,
  httpPort: 4318,
  queryPort: 16686,
});
process.stdout.write(
  `otlp-receiver: OTLP gRPC :${receiver.grpcPort}, OTLP HTTP :${receiver.httpPort}, query API :${receiver.queryPort}\n`,
);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void receiver.close().then(() => process.exit(0));
  });
}
