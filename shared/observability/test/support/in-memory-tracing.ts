import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Registers a global tracer provider (with the AsyncLocalStorage context manager) that keeps finished
 * spans in memory. Each vitest file runs in its own process, so the global registration stays local.
 */
export function useInMemoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return { exporter, provider, tracer: provider.getTracer('test') };
}
