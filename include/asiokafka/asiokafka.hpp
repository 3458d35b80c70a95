// Umbrella header: everything a user of asiokafka needs.
#pragma once

#include <asiokafka/config.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/health.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/message_stream.hpp>
#include <asiokafka/metrics.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/topic_partition.hpp>
#include <asiokafka/version.hpp>
