// Umbrella header: everything a user of asiokafka needs.
#pragma once

#include <asiokafka/admin.hpp>
#include <asiokafka/asyncapi.hpp>
#include <asiokafka/broker.hpp>
#include <asiokafka/broker_options.hpp>
#include <asiokafka/cancel_after.hpp>
#include <asiokafka/config.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/health.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/json_schema.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/message_stream.hpp>
#include <asiokafka/metrics.hpp>
#include <asiokafka/oauthbearer.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/publisher.hpp>
#include <asiokafka/sinks.hpp>
#include <asiokafka/subscriber.hpp>
#include <asiokafka/threads.hpp>
#include <asiokafka/topic_partition.hpp>
#include <asiokafka/version.hpp>
