// What users pick otherwise: the OpenTelemetry SDK with HTTP auto-instrumentation (spans over
// OTLP protobuf to the sink) + pino-http (one request line), and one log line in the handler.
const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench-otel' }),
  spanProcessors: [
    new BatchSpanProcessor(new OTLPTraceExporter({ url: `${process.env.SINK_URL}/v1/traces` })),
  ],
});
provider.register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });

// required after the instrumentation is registered, so `http` is patched
const http = require('node:http');
const pinoHttp = require('pino-http')();

import('./serve.mjs').then(({ serve }) =>
  serve(
    http.createServer((req, res) => {
      pinoHttp(req, res);
      setTimeout(() => {
        req.log.info({ user: 'u1' }, 'handled');
        res.end('ok');
      }, 1);
    }),
    () => provider.forceFlush(),
  ),
);
