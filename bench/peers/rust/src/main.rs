//! Contestant 7 of bench/run.py: rust-rdkafka's `StreamConsumer` on a tokio runtime,
//! `consumer.recv().await` one record at a time, serde_json decoding each payload into a fresh
//! `Person` (the C++ contestants' `bench::person`: name, age, pad).
//!
//!     bench-peer-rust consume BROKERS TOPIC GROUP COUNT
//!     bench-peer-rust version
//!
//! `consume` prints one JSON object on stdout with the keys of the C/C++ contestants
//! (bench/raw_loop.c's raw_print_result) plus decode_failed, checksum and the versions; it
//! exits non-zero unless it decoded exactly COUNT records. BENCH_CONSUMER_CONFIG
//! ("key=value,key=value") is applied to the consumer's configuration as the others do.

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::ClientContext;
use serde::Deserialize;

/// The pinned rdkafka crate version (Cargo.toml: rdkafka = "=0.39.0").
const RDKAFKA_CRATE: &str = "0.39.0";
const MAX_PARTITIONS: usize = 64;
const DEADLINE: Duration = Duration::from_secs(1800);

#[derive(Deserialize)]
#[allow(dead_code)]
struct Person {
    name: String,
    age: i32,
    pad: String,
}

/// Notes when the first assignment arrives (the C contestants' join_s).
struct Ctx {
    started: Instant,
    assigned: OnceLock<Instant>,
}

impl ClientContext for Ctx {}

impl ConsumerContext for Ctx {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            if list.count() > 0 {
                let _ = self.assigned.set(Instant::now());
            }
        }
    }
}

fn versions_json() -> String {
    let (_, librdkafka) = rdkafka::util::get_rdkafka_version();
    format!("\"rdkafka_crate\": \"{RDKAFKA_CRATE}\", \"librdkafka_version\": \"{librdkafka}\"")
}

fn usage() -> ExitCode {
    eprintln!("usage: bench-peer-rust consume BROKERS TOPIC GROUP COUNT\n       bench-peer-rust version");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("version") if args.len() == 2 => {
            println!("{{{}}}", versions_json());
            ExitCode::SUCCESS
        }
        Some("consume") if args.len() == 6 => {
            let Ok(count) = args[5].parse::<i64>() else { return usage() };
            // One thread runs the consuming task, as the C++ contestants' one io_context.
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
            rt.block_on(consume(&args[2], &args[3], &args[4], count))
        }
        _ => usage(),
    }
}

async fn consume(brokers: &str, topic: &str, group: &str, count: i64) -> ExitCode {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("client.id", "bench-rust")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false");
    if let Ok(spec) = std::env::var("BENCH_CONSUMER_CONFIG") {
        for item in spec.split(',').filter(|s| !s.is_empty()) {
            let Some((k, v)) = item.split_once('=') else {
                eprintln!("bench-peer-rust: BENCH_CONSUMER_CONFIG: no '=' in \"{item}\"");
                return ExitCode::FAILURE;
            };
            config.set(k, v);
        }
    }
    let ctx = Ctx { started: Instant::now(), assigned: OnceLock::new() };
    let consumer: StreamConsumer<Ctx> = match config.create_with_context(ctx) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench-peer-rust: create consumer: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = consumer.subscribe(&[topic]) {
        eprintln!("bench-peer-rust: subscribe: {e}");
        return ExitCode::FAILURE;
    }
    // The deadline of the C loop (raw_loop.c), off the per-record path.
    std::thread::spawn(|| {
        std::thread::sleep(DEADLINE);
        eprintln!("bench-peer-rust: deadline: not done after {} s", DEADLINE.as_secs());
        std::process::exit(1);
    });

    let mut n: i64 = 0;
    let mut bytes: i64 = 0;
    let mut out_of_order: i64 = 0;
    let mut next_offset = [0i64; MAX_PARTITIONS];
    let mut decode_failed: i64 = 0;
    let mut checksum: i64 = 0;
    let mut first = Instant::now();
    while n < count {
        let m = match consumer.recv().await {
            Ok(m) => m,
            Err(e) => {
                eprintln!("bench-peer-rust: {e}");
                continue;
            }
        };
        if n == 0 {
            first = Instant::now();
        }
        n += 1;
        let payload = m.payload().unwrap_or(&[]);
        bytes += payload.len() as i64;
        let p = m.partition();
        if p >= 0 && (p as usize) < MAX_PARTITIONS {
            if m.offset() != next_offset[p as usize] {
                out_of_order += 1;
            }
            next_offset[p as usize] = m.offset() + 1;
        }
        match serde_json::from_slice::<Person>(payload) {
            Ok(person) => checksum += person.age as i64 + (person.name.len() + person.pad.len()) as i64,
            Err(e) => {
                if decode_failed == 0 {
                    eprintln!("bench-peer-rust: decode: {e}");
                }
                decode_failed += 1;
            }
        }
    }
    let last = Instant::now();
    let started = consumer.context().started;
    let join_s = consumer.context().assigned.get().map_or(first, |t| *t).duration_since(started).as_secs_f64();
    drop(consumer); // closes the consumer (leaves the group), as the C loop's rd_kafka_consumer_close
    let offsets_sum: i64 = next_offset.iter().sum();
    println!(
        "{{\"count\": {n}, \"bytes\": {bytes}, \"elapsed_s\": {:.6}, \"join_s\": {join_s:.3}, \"offsets_sum\": {offsets_sum}, \
         \"out_of_order\": {out_of_order}, \"decode_failed\": {decode_failed}, \"checksum\": {checksum}, {}}}",
        last.duration_since(first).as_secs_f64(),
        versions_json()
    );
    if n != count || decode_failed != 0 {
        eprintln!("bench-peer-rust: decoded {} of {count} records", n - decode_failed);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
