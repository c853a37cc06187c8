/**
 * OpenTelemetry messaging semantic convention attribute names (semconv 1.3x, "messaging spans").
 * They live in the incubating entry of @opentelemetry/semantic-conventions, which is not a stable
 * import path, so the few we use are named here.
 */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ATTR_MESSAGING_RABBITMQ_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key';
export const ATTR_MESSAGING_RABBITMQ_DELIVERY_TAG = 'messaging.rabbitmq.message.delivery_tag';

/** Hopscope's own: the producing service (seed 002 `producer_service`) and the chain. */
export const ATTR_PRODUCER_SERVICE = 'messaging.producer.service';
export const ATTR_SERVICES_ENCOUNTERED = 'services.encountered';

/** `messaging.system` values; NATS is not (yet) in the registry, so it uses its own name. */
export type MessagingSystem = 'kafka' | 'nats' | 'rabbitmq';

export type MessagingOperation = 'send' | 'receive' | 'process' | 'create' | 'settle';
