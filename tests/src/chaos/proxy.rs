//! The fault proxy: a UDP relay for one link on loopback, standing between a node (or
//! a district hub) and the hub above it, that drops, delays with jitter, reorders and
//! duplicates datagrams and can cut the link altogether, as the harness tells it while
//! it runs. These machines' kernels have no `netem` qdisc, so the faults are made here,
//! in user space.
//!
//! The dialling side is given the proxy's address as its hub's address. Every source
//! address that sends to the proxy gets an upstream socket of its own, connected to the
//! hub, so the hub sees one peer per dialler (a restarted node, on a new port, is a new
//! peer, as it would be on a real network). Both directions pass through the same
//! [`LinkFaults`]. The fate of each datagram is drawn from a seeded [`Rng`], one per
//! direction, a fixed number of draws per datagram whatever the outcome, so a given
//! sequence of datagrams meets the same fates on every run.

use std::collections::{BinaryHeap, HashMap};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Rng;

/// How often a blocked thread of the proxy looks whether it should stop.
const POLL: Duration = Duration::from_millis(50);
/// The extra delay of a datagram picked for reordering, on top of its own, so that the
/// datagrams behind it overtake it.
const REORDER_HOLD: Duration = Duration::from_millis(30);
/// Mixed into the seed for the fates of the way back.
const BACK_SEED: u64 = 0x6261_636b;

/// What a link does to the datagrams it carries. The default passes everything at once.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinkFaults {
    /// The link carries nothing either way (a partition).
    pub cut: bool,
    /// The share of datagrams lost, 0 to 1.
    pub loss: f64,
    /// The delay of every datagram.
    pub delay: Duration,
    /// Up to this much more, drawn per datagram.
    pub jitter: Duration,
    /// The share of datagrams sent twice, 0 to 1 (each copy with its own delay).
    pub duplicate: f64,
    /// The share of datagrams held back so that later ones overtake them, 0 to 1.
    pub reorder: f64,
}

impl LinkFaults {
    /// A healed link: nothing lost, nothing late.
    pub fn healthy() -> Self {
        Self::default()
    }

    /// A cut link.
    pub fn cut() -> Self {
        Self {
            cut: true,
            ..Self::default()
        }
    }

    /// The delays after which a datagram is delivered: none if it is lost, two if it
    /// is duplicated. Always draws five numbers, so the next datagram's fate does not
    /// depend on this one's.
    pub fn fate(&self, rng: &mut Rng) -> Vec<Duration> {
        let lost = rng.chance(self.loss);
        let jitter = rng.below_duration(self.jitter);
        let reordered = rng.chance(self.reorder);
        let duplicated = rng.chance(self.duplicate);
        let second_jitter = rng.below_duration(self.jitter);
        if self.cut || lost {
            return Vec::new();
        }
        let hold = if reordered {
            REORDER_HOLD
        } else {
            Duration::ZERO
        };
        let mut delays = vec![self.delay + jitter + hold];
        if duplicated {
            delays.push(self.delay + second_jitter);
        }
        delays
    }
}

/// What a proxy did, counted over both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProxyCounts {
    /// Datagrams that reached the proxy.
    pub received: u64,
    /// Datagrams sent on (a duplicated one counts twice).
    pub forwarded: u64,
    /// Datagrams lost on purpose (cut or loss).
    pub dropped: u64,
    /// Extra copies sent.
    pub duplicated: u64,
}

/// A running fault proxy; its threads stop when it is dropped.
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

/// A datagram waiting for its time.
struct Pending {
    due: Instant,
    order: u64,
    socket: Arc<UdpSocket>,
    /// `None` on a connected upstream socket.
    to: Option<SocketAddr>,
    bytes: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    /// Reversed, so that the heap's top is the datagram due first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

struct Shared {
    target: SocketAddr,
    front: Arc<UdpSocket>,
    faults: Mutex<LinkFaults>,
    /// The fates toward the hub, and back.
    rng: [Mutex<Rng>; 2],
    queue: Mutex<BinaryHeap<Pending>>,
    wake: Condvar,
    stop: AtomicBool,
    order: AtomicU64,
    received: AtomicU64,
    forwarded: AtomicU64,
    dropped: AtomicU64,
    duplicated: AtomicU64,
}

/// A lock that a panicked holder left poisoned still guards consistent data here
/// (every critical section is a single assignment or heap operation).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port that relays to `target`, its faults drawn
    /// from `seed`.
    pub fn start(target: SocketAddr, seed: u64) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), target, seed)
    }

    /// As [`FaultProxy::start`], listening on `listen` (a link keeps its address when
    /// the harness restarts it).
    pub fn start_on(listen: SocketAddr, target: SocketAddr, seed: u64) -> std::io::Result<Self> {
        let front = UdpSocket::bind(listen)?;
        front.set_read_timeout(Some(POLL))?;
        let address = front.local_addr()?;
        let shared = Arc::new(Shared {
            target,
            front: Arc::new(front),
            faults: Mutex::new(LinkFaults::healthy()),
            rng: [
                Mutex::new(Rng::new(seed)),
                Mutex::new(Rng::new(seed ^ BACK_SEED)),
            ],
            queue: Mutex::new(BinaryHeap::new()),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            order: AtomicU64::new(0),
            received: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            duplicated: AtomicU64::new(0),
        });
        let front_thread = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || shared.relay_front())
        };
        let sender = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || shared.send_due())
        };
        Ok(Self {
            address,
            shared,
            threads: vec![front_thread, sender],
        })
    }

    /// The address to dial instead of the hub's.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Sets what the link does from now on (datagrams already delayed keep their time).
    pub fn set(&self, faults: LinkFaults) {
        *lock(&self.shared.faults) = faults;
    }

    /// What the link does now.
    pub fn faults(&self) -> LinkFaults {
        *lock(&self.shared.faults)
    }

    /// What the proxy has done so far.
    pub fn counts(&self) -> ProxyCounts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ProxyCounts {
            received: read(&self.shared.received),
            forwarded: read(&self.shared.forwarded),
            dropped: read(&self.shared.dropped),
            duplicated: read(&self.shared.duplicated),
        }
    }
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FaultProxy")
            .field("address", &self.address)
            .field("target", &self.shared.target)
            .field("faults", &self.faults())
            .finish()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Reads what diallers send and queues it upstream, each dialler on its own
    /// upstream socket (made, with its return thread, on its first datagram).
    fn relay_front(self: Arc<Self>) {
        let mut upstream: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
        let mut returns = Vec::new();
        let mut buffer = vec![0u8; 65_536];
        while !self.stopping() {
            let (length, from) = match self.front.recv_from(&mut buffer) {
                Ok(received) => received,
                Err(error) if is_timeout(&error) => continue,
                // A dialler's socket gone away (ICMP port unreachable): read on.
                Err(_) => continue,
            };
            let socket = match upstream.get(&from) {
                Some(socket) => Arc::clone(socket),
                None => match self.open_upstream() {
                    Ok(socket) => {
                        let socket = Arc::new(socket);
                        upstream.insert(from, Arc::clone(&socket));
                        let shared = Arc::clone(&self);
                        let back = Arc::clone(&socket);
                        returns.push(std::thread::spawn(move || shared.relay_back(&back, from)));
                        socket
                    }
                    Err(_) => continue,
                },
            };
            self.admit(0, socket, None, &buffer[..length]);
        }
        for thread in returns {
            let _ = thread.join();
        }
    }

    fn open_upstream(&self) -> std::io::Result<UdpSocket> {
        let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        socket.connect(self.target)?;
        socket.set_read_timeout(Some(POLL))?;
        Ok(socket)
    }

    /// Reads what the hub answers to dialler `to` and queues it back through the front.
    fn relay_back(&self, upstream: &UdpSocket, to: SocketAddr) {
        let mut buffer = vec![0u8; 65_536];
        while !self.stopping() {
            match upstream.recv(&mut buffer) {
                Ok(length) => {
                    self.admit(1, Arc::clone(&self.front), Some(to), &buffer[..length]);
                }
                // A timeout, or the hub's port closed while it restarts: read on.
                Err(_) => continue,
            }
        }
    }

    /// Draws the datagram's fate from the generator of its `way` (0 toward the hub, 1
    /// back) and queues its copies.
    fn admit(&self, way: usize, socket: Arc<UdpSocket>, to: Option<SocketAddr>, bytes: &[u8]) {
        self.received.fetch_add(1, Ordering::Relaxed);
        let faults = *lock(&self.faults);
        let delays = faults.fate(&mut lock(&self.rng[way]));
        if delays.is_empty() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if delays.len() > 1 {
            self.duplicated.fetch_add(1, Ordering::Relaxed);
        }
        let now = Instant::now();
        let mut queue = lock(&self.queue);
        for delay in delays {
            queue.push(Pending {
                due: now + delay,
                order: self.order.fetch_add(1, Ordering::Relaxed),
                socket: Arc::clone(&socket),
                to,
                bytes: bytes.to_vec(),
            });
        }
        drop(queue);
        self.wake.notify_one();
    }

    /// Sends each queued datagram when it is due. A link cut after a datagram was
    /// queued still drops it: a partition loses what is on the wire.
    fn send_due(self: Arc<Self>) {
        let mut queue = lock(&self.queue);
        while !self.stopping() {
            let now = Instant::now();
            let wait = match queue.peek() {
                Some(next) if next.due <= now => Duration::ZERO,
                Some(next) => (next.due - now).min(POLL),
                None => POLL,
            };
            if !wait.is_zero() {
                queue = self
                    .wake
                    .wait_timeout(queue, wait)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                continue;
            }
            let Some(pending) = queue.pop() else { continue };
            drop(queue);
            if lock(&self.faults).cut {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            } else {
                let sent = match pending.to {
                    Some(to) => pending.socket.send_to(&pending.bytes, to),
                    None => pending.socket.send(&pending.bytes),
                };
                // A send refused (the hub's port closed while it restarts) is a loss,
                // as on a real network.
                if sent.is_ok() {
                    self.forwarded.fetch_add(1, Ordering::Relaxed);
                }
            }
            queue = lock(&self.queue);
        }
    }
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A sink on loopback that counts what reaches it and echoes it back; stopped
    /// when dropped.
    struct Echo {
        address: SocketAddr,
        reached: Arc<AtomicU64>,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl Echo {
        fn start() -> Self {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.set_read_timeout(Some(POLL)).unwrap();
            let address = socket.local_addr().unwrap();
            let reached = Arc::new(AtomicU64::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let thread = {
                let reached = Arc::clone(&reached);
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 2048];
                    while !stop.load(Ordering::Relaxed) {
                        if let Ok((length, from)) = socket.recv_from(&mut buffer) {
                            reached.fetch_add(1, Ordering::Relaxed);
                            let _ = socket.send_to(&buffer[..length], from);
                        }
                    }
                })
            };
            Self {
                address,
                reached,
                stop,
                thread: Some(thread),
            }
        }

        fn reached(&self) -> u64 {
            self.reached.load(Ordering::Relaxed)
        }
    }

    impl Drop for Echo {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    /// Sends `count` numbered datagrams from `client` through `proxy`, paced so that
    /// no socket buffer overflows.
    fn send_numbered(client: &UdpSocket, proxy: &FaultProxy, count: u32) {
        for index in 0..count {
            client
                .send_to(&index.to_be_bytes(), proxy.address())
                .unwrap();
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Sends `datagrams` datagrams through `proxy` and returns how many echoes came
    /// back within a moment.
    fn exchange(proxy: &FaultProxy, datagrams: u32) -> u64 {
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        send_numbered(&client, proxy, datagrams);
        let mut echoes = 0;
        let mut buffer = [0u8; 16];
        while client.recv(&mut buffer).is_ok() {
            echoes += 1;
        }
        echoes
    }

    /// The datagrams a link with `faults` delivers of `count`, by `fate` alone.
    fn predicted(faults: LinkFaults, seed: u64, count: u32) -> u64 {
        let mut rng = Rng::new(seed);
        (0..count).map(|_| faults.fate(&mut rng).len() as u64).sum()
    }

    #[test]
    fn a_seeded_lossy_link_delivers_exactly_what_its_seed_says() {
        let echo = Echo::start();
        let faults = LinkFaults {
            loss: 0.3,
            duplicate: 0.1,
            ..LinkFaults::healthy()
        };
        let proxy = FaultProxy::start(echo.address, 17).unwrap();
        proxy.set(faults);
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        send_numbered(&client, &proxy, 1000);
        let deadline = Instant::now() + Duration::from_secs(10);
        let expected_to_sink = predicted(faults, 17, 1000);
        while echo.reached() < expected_to_sink && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        // The way toward the sink draws from its own generator, in the order sent, so
        // the sink's count is the one the seed fixes (the echoes draw from the other).
        assert_eq!(echo.reached(), expected_to_sink);
        // About 70 % plus 10 % duplicates of those arrive: the seed gives a number near it.
        assert!(
            (700..=850).contains(&expected_to_sink),
            "{expected_to_sink} of 1000 through a 30 % loss, 10 % duplication link"
        );
        let counts = proxy.counts();
        assert!(counts.dropped > 200, "{counts:?}");
        assert!(counts.duplicated > 40, "{counts:?}");
    }

    #[test]
    fn a_cut_link_passes_nothing_and_healing_restores_it() {
        let echo = Echo::start();
        let proxy = FaultProxy::start(echo.address, 1).unwrap();
        assert_eq!(exchange(&proxy, 50), 50, "a healthy link passes everything");

        proxy.set(LinkFaults::cut());
        let before = echo.reached();
        assert_eq!(exchange(&proxy, 50), 0, "a cut link passes nothing back");
        assert_eq!(echo.reached(), before, "nor anything forward");

        proxy.set(LinkFaults::healthy());
        assert_eq!(exchange(&proxy, 50), 50, "healing restores the link");
    }

    #[test]
    fn delayed_datagrams_arrive_late_and_held_ones_are_overtaken() {
        let echo = Echo::start();
        let proxy = FaultProxy::start(echo.address, 5).unwrap();
        proxy.set(LinkFaults {
            delay: Duration::from_millis(100),
            ..LinkFaults::healthy()
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let sent = Instant::now();
        client.send_to(b"late", proxy.address()).unwrap();
        let mut buffer = [0u8; 16];
        let length = client.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..length], b"late");
        // 100 ms each way.
        assert!(sent.elapsed() >= Duration::from_millis(200));

        proxy.set(LinkFaults {
            reorder: 0.5,
            ..LinkFaults::healthy()
        });
        send_numbered(&client, &proxy, 200);
        let mut order = Vec::new();
        client
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        while let Ok(length) = client.recv(&mut buffer) {
            if length == 4 {
                order.push(u32::from_be_bytes([
                    buffer[0], buffer[1], buffer[2], buffer[3],
                ]));
            }
        }
        assert_eq!(order.len(), 200, "reordering loses nothing");
        assert!(
            order.windows(2).any(|pair| pair[0] > pair[1]),
            "some datagram was overtaken"
        );
    }
}
