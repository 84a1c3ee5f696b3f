//! The in-memory database of the shop, its seed, the logical clock and the session table.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::styles::{AuthStyle, ShopAuth};
use crate::Mode;

/// Seconds since the Unix epoch of the shop's logical clock origin (2025-01-01T00:00:00Z).
const CLOCK_ORIGIN: i64 = 1_735_689_600;
/// Every write advances the logical clock by this many seconds, so timestamps are
/// deterministic across runs and strictly increasing.
const CLOCK_STEP: i64 = 60;

/// A user's role. `role` is read-only for everyone but admins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    User,
    Admin,
}

/// An order's lifecycle state. Only `placed` orders can be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum OrderStatus {
    Placed,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

pub(crate) use crate::common::Timestamp;

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) email: String,
    pub(crate) display_name: String,
    pub(crate) role: Role,
    pub(crate) created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub(crate) struct Address {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) recipient: String,
    pub(crate) line1: String,
    pub(crate) line2: Option<String>,
    pub(crate) city: String,
    pub(crate) postal_code: String,
    pub(crate) country: String,
    pub(crate) created_at: Timestamp,
    /// Addresses are soft-deleted: orders keep pointing at them.
    pub(crate) deleted: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Product {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) price_cents: i64,
    pub(crate) stock: i64,
    pub(crate) created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CartLine {
    /// The cart item's own id (adding a product already in the cart keeps its line).
    pub(crate) id: i64,
    pub(crate) product_id: i64,
    pub(crate) quantity: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct OrderLine {
    pub(crate) product_id: i64,
    pub(crate) name: String,
    pub(crate) unit_price_cents: i64,
    pub(crate) quantity: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) address_id: i64,
    pub(crate) status: OrderStatus,
    pub(crate) lines: Vec<OrderLine>,
    pub(crate) subtotal_cents: i64,
    pub(crate) discount_cents: i64,
    pub(crate) total_cents: i64,
    pub(crate) coupon_code: Option<String>,
    pub(crate) created_at: Timestamp,
    pub(crate) cancelled_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub(crate) struct Refund {
    pub(crate) id: i64,
    pub(crate) order_id: i64,
    pub(crate) user_id: i64,
    pub(crate) amount_cents: i64,
    pub(crate) reason: String,
    pub(crate) created_at: Timestamp,
}

/// Per-kind id counters; they restart on reset so runs are deterministic.
#[derive(Clone, Debug, Default)]
pub(crate) struct NextIds {
    pub(crate) address: i64,
    pub(crate) product: i64,
    pub(crate) order: i64,
    pub(crate) refund: i64,
    pub(crate) cart_item: i64,
}

/// Everything `POST /__reset` restores.
#[derive(Clone, Debug, Default)]
pub(crate) struct Db {
    pub(crate) users: BTreeMap<i64, User>,
    pub(crate) addresses: BTreeMap<i64, Address>,
    pub(crate) products: BTreeMap<i64, Product>,
    pub(crate) carts: BTreeMap<i64, Vec<CartLine>>,
    pub(crate) orders: BTreeMap<i64, Order>,
    /// Ids of cancelled orders, in cancellation order: the read model behind
    /// `GET /users/{userId}/orders?status=cancelled`.
    pub(crate) cancellations: Vec<i64>,
    pub(crate) refunds: BTreeMap<i64, Refund>,
    pub(crate) next: NextIds,
    clock: i64,
}

/// Seeded accounts: (id, username, password, role). The identities file logs in with these.
pub(crate) const SEED_USERS: [(i64, &str, &str, Role); 3] = [
    (1, "alice", "alice-pass-1", Role::User),
    (2, "bob", "bob-pass-2", Role::User),
    (3, "carol", "carol-pass-3", Role::Admin),
];

impl Db {
    /// Advances the logical clock and returns the new time.
    pub(crate) fn now(&mut self) -> Timestamp {
        self.clock += CLOCK_STEP;
        Timestamp(CLOCK_ORIGIN + self.clock)
    }

    /// The seeded state: alice and bob (users) with an address, a delivered or shipped order
    /// and one item in their cart; carol (admin) with an address; five products, one of them
    /// sold out and one nearly so.
    pub(crate) fn seed() -> Db {
        let mut db = Db::default();
        db.seed_users();
        db.seed_products();
        db.seed_addresses();
        db.seed_orders();
        db.seed_carts();
        db
    }

    fn seed_users(&mut self) {
        let db = self;
        for (id, username, password, role) in SEED_USERS {
            let created_at = db.now();
            let display = {
                let mut c = username.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().chain(c).collect(),
                    None => String::new(),
                }
            };
            db.users.insert(
                id,
                User {
                    id,
                    username: username.to_string(),
                    password: password.to_string(),
                    email: format!("{username}@shop.example"),
                    display_name: display,
                    role,
                    created_at,
                },
            );
        }
    }

    fn seed_products(&mut self) {
        let db = self;
        let products = [
            ("Enamel mug", "A 350 ml enamel camping mug.", 1250, 40),
            (
                "Canvas tote bag",
                "Heavy cotton tote with a long strap.",
                1800,
                25,
            ),
            (
                "Limited edition print",
                "Signed A3 risograph print, numbered.",
                4500,
                2,
            ),
            (
                "Hooded sweatshirt",
                "Organic cotton hoodie. Sold out.",
                5900,
                0,
            ),
            ("Sticker pack", "Ten vinyl stickers.", 499, 500),
        ];
        for (name, description, price_cents, stock) in products {
            db.next.product += 1;
            let id = db.next.product;
            let created_at = db.now();
            db.products.insert(
                id,
                Product {
                    id,
                    name: name.to_string(),
                    description: description.to_string(),
                    price_cents,
                    stock,
                    created_at,
                },
            );
        }
    }

    fn seed_addresses(&mut self) {
        let db = self;
        let addresses = [
            (
                1,
                "Alice Liddell",
                "12 Rabbit Hole Lane",
                "Oxford",
                "OX1 1AA",
                "GB",
            ),
            (
                2,
                "Bob Builder",
                "7 Scaffold Street",
                "Bristol",
                "BS1 4DJ",
                "GB",
            ),
            (
                3,
                "Carol Admin",
                "1 Head Office Way",
                "London",
                "EC1A 1BB",
                "GB",
            ),
        ];
        for (user_id, recipient, line1, city, postal_code, country) in addresses {
            db.next.address += 1;
            let id = db.next.address;
            let created_at = db.now();
            db.addresses.insert(
                id,
                Address {
                    id,
                    user_id,
                    recipient: recipient.to_string(),
                    line1: line1.to_string(),
                    line2: None,
                    city: city.to_string(),
                    postal_code: postal_code.to_string(),
                    country: country.to_string(),
                    created_at,
                    deleted: false,
                },
            );
        }
    }

    /// Seeded orders are past the point of cancellation.
    fn seed_orders(&mut self) {
        let db = self;
        let orders = [
            (1, 1, OrderStatus::Delivered, 2, 1),
            (2, 2, OrderStatus::Shipped, 1, 2),
        ];
        for (user_id, address_id, status, product_id, quantity) in orders {
            db.next.order += 1;
            let id = db.next.order;
            let created_at = db.now();
            let (name, price) = db
                .products
                .get(&product_id)
                .map(|p| (p.name.clone(), p.price_cents))
                .unwrap_or_default();
            let subtotal = price * quantity;
            db.orders.insert(
                id,
                Order {
                    id,
                    user_id,
                    address_id,
                    status,
                    lines: vec![OrderLine {
                        product_id,
                        name,
                        unit_price_cents: price,
                        quantity,
                    }],
                    subtotal_cents: subtotal,
                    discount_cents: 0,
                    total_cents: subtotal,
                    coupon_code: None,
                    created_at,
                    cancelled_at: None,
                },
            );
        }
    }

    fn seed_carts(&mut self) {
        let db = self;
        for (user_id, product_id, quantity) in [(1, 1, 2), (2, 5, 1)] {
            db.next.cart_item += 1;
            let id = db.next.cart_item;
            db.carts.insert(
                user_id,
                vec![CartLine {
                    id,
                    product_id,
                    quantity,
                }],
            );
        }
        db.carts.insert(3, Vec::new());
    }
}

/// The service state shared by every handler.
#[derive(Debug)]
pub(crate) struct Shop {
    pub(crate) mode: Mode,
    /// How callers sign in, and how long their sessions last.
    pub(crate) auth: ShopAuth,
    db: Mutex<Db>,
    /// Token -> session. Sessions survive `POST /__reset` (the seeded users keep their ids), so
    /// a harness does not have to log in again after every reset.
    sessions: Mutex<Sessions>,
}

/// The open sessions, by token.
#[derive(Debug)]
struct Sessions {
    by_token: HashMap<String, Session>,
    /// The number of sessions at which a login next sweeps the expired ones out: twice what
    /// the last sweep left, so that logins cost the same however many there were before.
    sweep_at: usize,
}

/// Sessions below which a login never sweeps.
const MIN_SWEEP: usize = 64;

/// A signed-in user's session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) user_id: i64,
    /// When it stops being accepted (`None`: never).
    expires: Option<Instant>,
    /// The CSRF token unsafe methods must echo (cookie sessions).
    pub(crate) csrf: Option<String>,
}

impl Shop {
    pub(crate) fn new(mode: Mode, auth: ShopAuth) -> Shop {
        Shop {
            mode,
            auth,
            db: Mutex::new(Db::seed()),
            sessions: Mutex::new(Sessions {
                by_token: HashMap::new(),
                sweep_at: MIN_SWEEP,
            }),
        }
    }

    /// True in [`Mode::Secure`]: every planted bug is guarded by this.
    pub(crate) fn secure(&self) -> bool {
        self.mode == Mode::Secure
    }

    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Restores the seeded state (sessions are kept).
    pub(crate) fn reset(&self) {
        *self.db() = Db::seed();
    }

    /// Opens a session for `user_id` and returns its token: a JWT whose `exp` says when it
    /// expires when sessions have a lifetime and the style is bearer, an opaque string
    /// otherwise.
    pub(crate) fn open_session(&self, user_id: i64, csrf: Option<String>) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let lifetime = self.auth.lifetime;
        let token = match lifetime {
            Some(lifetime) if self.auth.style == AuthStyle::Bearer => jwt(user_id, lifetime, &id),
            _ => format!("shop_{id}"),
        };
        let session = Session {
            user_id,
            expires: lifetime.map(|l| Instant::now() + l),
            csrf,
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        // Swept now and then, not at every login: a sweep reads every session, and sessions
        // without a lifetime are never swept out.
        if sessions.by_token.len() >= sessions.sweep_at {
            let now = Instant::now();
            sessions
                .by_token
                .retain(|_, s| s.expires.is_none_or(|e| e > now));
            sessions.sweep_at = (2 * sessions.by_token.len()).max(MIN_SWEEP);
        }
        sessions.by_token.insert(token.clone(), session);
        token
    }

    /// The live session a token names, if any.
    pub(crate) fn session(&self, token: &str) -> Option<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let session = sessions.by_token.get(token)?;
        session
            .expires
            .is_none_or(|e| e > Instant::now())
            .then(|| session.clone())
    }
}

/// A JWT-shaped token (`header.payload.signature`, base64url without padding) whose payload
/// holds `sub` and `exp`; the signature is random (the server looks the token up, a demo needs
/// no keys).
fn jwt(user_id: i64, lifetime: Duration, id: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let exp = (now + lifetime).as_secs();
    let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload =
        base64url(format!(r#"{{"sub":"{user_id}","exp":{exp},"jti":"{id}"}}"#).as_bytes());
    format!("{header}.{payload}.{}", base64url(id.as_bytes()))
}

/// Base64url without padding (RFC 4648 section 5).
pub(crate) fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_has_no_padding() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(Timestamp(CLOCK_ORIGIN).rfc3339(), "2025-01-01T00:00:00Z");
        assert_eq!(Timestamp(951_782_400).rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(
            Timestamp(CLOCK_ORIGIN + 3_661).rfc3339(),
            "2025-01-01T01:01:01Z"
        );
    }

    #[test]
    fn seed_is_deterministic_and_has_no_cancelled_orders() {
        let a = Db::seed();
        let b = Db::seed();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(
            a.orders
                .values()
                .all(|o| o.status != OrderStatus::Cancelled)
        );
        assert_eq!(a.users.len(), 3);
        assert_eq!(a.next.order, 2);
    }
}
