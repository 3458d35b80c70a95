// A deployment of 6 pods (fleet_member processes, 2 subscribers each, in two groups) on a
// 12-partition topic under a steady stream, restarted one by one as a rolling update does: each pod is stopped gracefully
// and started again with the same POD_NAME, well within session.timeout.ms. With static
// membership (group.instance.id from POD_NAME) the other pods see no rebalance; the control
// run with dynamic membership shows what the update costs without it. Then the static fleet
// scales out to 7 pods (only the partitions that move are revoked) and back in to 6 (the 7th
// pod's partitions are taken over once its session expires). Once under the classic protocol
// (cooperative-sticky), once under KIP-848's consumer protocol (the broker's uniform assignor).
//
// Each pod records what it handled (sequence number, partition, monotonic time) and its
// rebalance log lines; the fleet (rolling_fleet.hpp) reads those files, and polls the group's
// lag through the admin client while the update runs.
#define BOOST_TEST_MODULE test_rolling_deployment
#include <boost/test/unit_test.hpp>

#include "rolling_fleet.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;
using namespace asiokafka::test::rolling;

namespace {

std::string join(const std::vector<long long>& v) {
  std::string out;
  for (auto x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

void print(const std::string& scenario, const fleet_figures& f) {
  test::report(scenario, f.counts);
  test::report("  the pods' second subscriber (its own group)", f.audit_counts);
  test::print_report_line(
      "  rebalance events at the other pods during restarts %d; longest partition pause %.0f ms; "
      "max group lag %lld; stop-to-first-record per pod (ms) %s",
      f.bystander_rebalances, f.longest_pause_ms, static_cast<long long>(f.max_lag), join(f.restart_ms).c_str());
}

void print_scaling(const fleet_figures& f) {
  test::print_report_line(
      "  scale-out to 7: %d revoke events at the 6 pods, %zu partitions revoked, %zu assigned to "
      "the new pod, %d pods revoked everything",
      f.scale_revoke_events, f.scale_revoked, f.scale_new_assigned, f.scale_full_revocations);
  test::print_report_line("  scale-in to 6: %zu partitions taken over by the 6 pods; longest partition pause %.0f ms",
                          f.scale_in_assigned, f.scale_in_pause_ms);
}

// Runs the static fleet (with the scale-out and scale-in) and the dynamic one under `protocol`
// with `assignor`, prints their figures, and checks what both protocols must pass: nothing
// lost, clean exits, a static rolling update invisible to the other pods, a scale-out that
// moves only what moves, a scale-in that hands every partition on. Under the classic protocol
// the dynamic control sees rebalances (the measurement works); under the consumer protocol a
// dynamic member back within a heartbeat interval may go unnoticed too, so there the
// scale-out's events show the measurement works.
void roll(const std::string& protocol, const std::string& assignor) {
  const std::string brokers = test::cluster_bootstrap(ASIOKAFKA_FAULT_STATE, "fault1");
  fleet_figures stat, dyn;
  {
    fleet f(brokers, "static", protocol, assignor);
    stat = f.run(true);
  }
  const std::string setting = protocol + " protocol, " + assignor;
  print("rolling update, 6 static pods x 2 subscribers (POD_NAME), " + setting, stat);
  print_scaling(stat);
  {
    fleet f(brokers, "dynamic", protocol, assignor);
    dyn = f.run(false);
  }
  print("rolling update, 6 dynamic pods x 2 subscribers, " + setting, dyn);

  BOOST_TEST(stat.counts.lost == 0);
  BOOST_TEST(stat.audit_counts.lost == 0);
  BOOST_TEST(stat.bad_exits == 0);
  BOOST_TEST(stat.bystander_rebalances == 0);
  BOOST_TEST(stat.scale_new_assigned >= 1u);
  BOOST_TEST(stat.scale_revoked == stat.scale_new_assigned);  // only what moved
  BOOST_TEST(stat.scale_full_revocations == 0);
  BOOST_TEST(stat.scale_in_assigned >= stat.scale_new_assigned);
  BOOST_TEST(dyn.counts.lost == 0);
  BOOST_TEST(dyn.audit_counts.lost == 0);
  BOOST_TEST(dyn.bad_exits == 0);
  if (protocol == "classic") BOOST_TEST(dyn.bystander_rebalances > 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_fault)

BOOST_AUTO_TEST_CASE(rolling_update_of_static_members_rebalances_nothing_and_scales_out_incrementally) {
  roll("classic", "cooperative-sticky");
}

// The same deployment under KIP-848's consumer group protocol (Kafka 4): the broker assigns
// with its uniform assignor; the session timeout is the group's (45 s).
BOOST_AUTO_TEST_CASE(rolling_update_under_the_consumer_protocol) { roll("consumer", "uniform"); }

BOOST_AUTO_TEST_SUITE_END()
