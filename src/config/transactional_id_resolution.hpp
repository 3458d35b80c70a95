// Applies the static_id_policy to transactional.id: the id of one exactly-once subscriber's
// transactional producer.
#pragma once

#include "config/static_id_resolution.hpp"

#include <asiokafka/config/static_id_policy.hpp>

namespace asiokafka::detail {

/// The subscriber's transactional.id (`in.key` is transactional_id_key). Under
/// derive_from_broker_base and dynamic_membership (which is about group membership only) a
/// subscriber-scope value is used as given, else a broker-scope value is a base; under
/// from_environment, as for group.instance.id. Throws config_error (key transactional.id)
/// when no scope gives an id, a value is empty or invalid, or the policy's rules are violated.
resolved_id resolve_transactional_id(const static_id_policy& policy, const id_inputs& in);

}  // namespace asiokafka::detail
