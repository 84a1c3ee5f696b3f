//! Wire types: what the shop reads from request bodies and writes in responses. Names and
//! shapes follow `corpus/specs/shop.yaml`.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::store::{Address, Db, Order, OrderStatus, Product, Refund, Role, User};

/// `LoginRequest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginIn {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// `LoginResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginOut {
    pub(crate) access_token: String,
    pub(crate) token_type: &'static str,
    pub(crate) user_id: i64,
}

/// `User`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserOut {
    id: i64,
    username: String,
    email: String,
    display_name: String,
    role: Role,
    created_at: String,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            created_at: u.created_at.rfc3339(),
        }
    }
}

/// `UserUpdate`: a partial update. `role` is read-only (admins only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct UserPatchIn {
    pub(crate) email: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) role: Option<Role>,
}

/// `Address` as a request body; the read-only fields are accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AddressIn {
    pub(crate) recipient: String,
    pub(crate) line1: String,
    pub(crate) line2: Option<String>,
    pub(crate) city: String,
    pub(crate) postal_code: String,
    pub(crate) country: String,
    #[serde(default, rename = "id")]
    _id: Option<IgnoredAny>,
    #[serde(default, rename = "userId")]
    _user_id: Option<IgnoredAny>,
    #[serde(default, rename = "createdAt")]
    _created_at: Option<IgnoredAny>,
}

/// `Address`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddressOut {
    id: i64,
    user_id: i64,
    recipient: String,
    line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line2: Option<String>,
    city: String,
    postal_code: String,
    country: String,
    created_at: String,
}

impl From<&Address> for AddressOut {
    fn from(a: &Address) -> Self {
        AddressOut {
            id: a.id,
            user_id: a.user_id,
            recipient: a.recipient.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
            created_at: a.created_at.rfc3339(),
        }
    }
}

/// `Product` as a request body (create, full replace); read-only fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ProductIn {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) price_cents: i64,
    pub(crate) stock: i64,
    #[serde(default, rename = "id")]
    _id: Option<IgnoredAny>,
    #[serde(default, rename = "createdAt")]
    _created_at: Option<IgnoredAny>,
}

/// `ProductPatch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ProductPatchIn {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) price_cents: Option<i64>,
    pub(crate) stock: Option<i64>,
}

/// `Product`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductOut {
    id: i64,
    name: String,
    description: String,
    price_cents: i64,
    stock: i64,
    created_at: String,
}

impl From<&Product> for ProductOut {
    fn from(p: &Product) -> Self {
        ProductOut {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            price_cents: p.price_cents,
            stock: p.stock,
            created_at: p.created_at.rfc3339(),
        }
    }
}

/// `CartItemRequest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CartItemIn {
    pub(crate) product_id: i64,
    pub(crate) quantity: i64,
}

/// `CartItem`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CartItemOut {
    id: i64,
    product_id: i64,
    name: String,
    unit_price_cents: i64,
    quantity: i64,
    line_total_cents: i64,
}

/// `Cart`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CartOut {
    user_id: i64,
    items: Vec<CartItemOut>,
    total_cents: i64,
}

impl CartOut {
    /// The cart of `user_id` priced at current product prices.
    pub(crate) fn render(db: &Db, user_id: i64) -> CartOut {
        let items: Vec<CartItemOut> = db
            .carts
            .get(&user_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|line| {
                let p = db.products.get(&line.product_id)?;
                Some(CartItemOut {
                    id: line.id,
                    product_id: p.id,
                    name: p.name.clone(),
                    unit_price_cents: p.price_cents,
                    quantity: line.quantity,
                    line_total_cents: p.price_cents.saturating_mul(line.quantity),
                })
            })
            .collect();
        let total_cents = items
            .iter()
            .fold(0i64, |acc, i| acc.saturating_add(i.line_total_cents));
        CartOut {
            user_id,
            items,
            total_cents,
        }
    }
}

/// `OrderRequest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct OrderIn {
    pub(crate) address_id: i64,
    pub(crate) coupon_code: Option<String>,
}

/// `?status=` of the order list.
#[derive(Debug, Deserialize)]
pub(crate) struct OrderQuery {
    pub(crate) status: Option<OrderStatus>,
}

/// `OrderItem`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderItemOut {
    product_id: i64,
    name: String,
    unit_price_cents: i64,
    quantity: i64,
}

/// `Order`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderOut {
    id: i64,
    user_id: i64,
    address_id: i64,
    status: OrderStatus,
    items: Vec<OrderItemOut>,
    subtotal_cents: i64,
    discount_cents: i64,
    total_cents: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    coupon_code: Option<String>,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancelled_at: Option<String>,
}

impl From<&Order> for OrderOut {
    fn from(o: &Order) -> Self {
        OrderOut {
            id: o.id,
            user_id: o.user_id,
            address_id: o.address_id,
            status: o.status,
            items: o
                .lines
                .iter()
                .map(|l| OrderItemOut {
                    product_id: l.product_id,
                    name: l.name.clone(),
                    unit_price_cents: l.unit_price_cents,
                    quantity: l.quantity,
                })
                .collect(),
            subtotal_cents: o.subtotal_cents,
            discount_cents: o.discount_cents,
            total_cents: o.total_cents,
            coupon_code: o.coupon_code.clone(),
            created_at: o.created_at.rfc3339(),
            cancelled_at: o.cancelled_at.map(|t| t.rfc3339()),
        }
    }
}

/// `RefundRequest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RefundIn {
    pub(crate) order_id: i64,
    pub(crate) reason: String,
}

/// `Refund`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundOut {
    id: i64,
    order_id: i64,
    user_id: i64,
    amount_cents: i64,
    reason: String,
    created_at: String,
}

impl From<&Refund> for RefundOut {
    fn from(r: &Refund) -> Self {
        RefundOut {
            id: r.id,
            order_id: r.order_id,
            user_id: r.user_id,
            amount_cents: r.amount_cents,
            reason: r.reason.clone(),
            created_at: r.created_at.rfc3339(),
        }
    }
}
