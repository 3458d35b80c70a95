// asiokafka's configuration layer: scopes, merge and static-id policies, library-owned keys,
// validation against librdkafka and provenance. See docs/config.md for the rules.
#pragma once

#include <asiokafka/config/client_options.hpp>
#include <asiokafka/config/composed_config.hpp>
#include <asiokafka/config/config_composer.hpp>
#include <asiokafka/config/config_error.hpp>
#include <asiokafka/config/config_scope.hpp>
#include <asiokafka/config/merge_policy.hpp>
#include <asiokafka/config/redaction.hpp>
#include <asiokafka/config/static_id_policy.hpp>
