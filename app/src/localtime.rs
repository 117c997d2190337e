//! Times in the browser's time zone. The server renders UTC (it does not know the
//! browser's zone, and the hydrated page must match what it sent); once the app runs in
//! the browser every time switches to local, with the UTC time on hover.

use domain::recurrence::local_day;
use domain::timefmt::{civil_from_days, format_utc};
use domain::Millis;
use leptos::prelude::*;

/// Set once the page runs in the browser (after hydration): times show local from then on.
#[derive(Clone, Copy)]
pub struct InBrowser(pub RwSignal<bool>);

pub fn use_in_browser() -> Signal<bool> {
    let s = use_context::<InBrowser>().map(|b| b.0);
    Signal::derive(move || s.is_some_and(|s| s.get()))
}

/// The browser's offset now (0 on the server).
pub fn offset_now() -> i32 {
    #[cfg(feature = "hydrate")]
    {
        offset_at(leptos::web_sys::js_sys::Date::now() as Millis)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

/// Minutes to add to the browser's local time for UTC at `ms` (its `getTimezoneOffset`;
/// 0 on the server).
pub fn offset_at(ms: Millis) -> i32 {
    #[cfg(feature = "hydrate")]
    {
        let d = leptos::web_sys::js_sys::Date::new(&leptos::wasm_bindgen::JsValue::from_f64(ms as f64));
        d.get_timezone_offset() as i32
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        0
    }
}

/// "UTC", "UTC+01:00", "UTC−05:30" for an offset as `getTimezoneOffset` gives it.
pub fn zone_label(offset_min: i32) -> String {
    if offset_min == 0 {
        return "UTC".into();
    }
    let east = -offset_min;
    let sign = if east > 0 { '+' } else { '−' };
    format!("UTC{sign}{:02}:{:02}", east.abs() / 60, east.abs() % 60)
}

/// (date "2026-11-25", time "17:30") of an instant at an offset.
pub fn date_and_time(ms: Millis, offset_min: i32) -> (String, String) {
    let (day, tod) = local_day(ms, offset_min);
    let (y, m, d) = civil_from_days(day);
    let minutes = tod / 60_000;
    (format!("{y:04}-{m:02}-{d:02}"), format!("{:02}:{:02}", minutes / 60, minutes % 60))
}

/// "2026-11-25 18:30 UTC+01:00" in the browser's zone.
pub fn format_local(ms: Millis) -> String {
    let offset = offset_at(ms);
    let (date, time) = date_and_time(ms, offset);
    format!("{date} {time} {}", zone_label(offset))
}

/// "2026-11-25 18:30:05 UTC+01:00" in the browser's zone.
pub fn format_local_seconds(ms: Millis) -> String {
    let offset = offset_at(ms);
    let (date, time) = date_and_time(ms, offset);
    let secs = (ms - i64::from(offset) * 60_000).div_euclid(1000).rem_euclid(60);
    format!("{date} {time}:{secs:02} {}", zone_label(offset))
}

/// A time as the reader's clock shows it; UTC on hover (and before the app has loaded).
#[component]
pub fn LocalTime(
    ms: Millis,
    /// To the second (alarms, the event log, the audit trail).
    #[prop(optional)]
    seconds: bool,
) -> impl IntoView {
    let in_browser = use_in_browser();
    let utc = if seconds { domain::timefmt::format_utc_seconds(ms) } else { format_utc(ms) };
    let title = utc.clone();
    let local = move || if seconds { format_local_seconds(ms) } else { format_local(ms) };
    let iso = {
        let (date, time) = date_and_time(ms, 0);
        format!("{date}T{time}Z")
    };
    view! { <time datetime=iso title=title>{move || if in_browser.get() { local() } else { utc.clone() }}</time> }
}


/// The cookie in which the browser names its time zone for the server (calendars count
/// the reader's days).
pub const ZONE_COOKIE: &str = "mcu_tz";

/// The browser's time zone by IANA name ("Europe/Berlin"); `None` on the server.
pub fn browser_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        use leptos::web_sys::js_sys::{Array, Intl, Object, Reflect};
        let options = Intl::DateTimeFormat::new(&Array::new(), &Object::new()).resolved_options();
        Reflect::get(&options, &JsValue::from_str("timeZone")).ok()?.as_string().filter(|z| !z.is_empty() && z.len() <= 64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// The zone this browser tells the server ([`ZONE_COOKIE`]); `None` on the server.
pub fn told_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        zone_cookie()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

#[cfg(feature = "hydrate")]
fn zone_cookie() -> Option<String> {
    use leptos::wasm_bindgen::JsValue;
    let cookies = leptos::web_sys::js_sys::Reflect::get(&document(), &JsValue::from_str("cookie")).ok()?.as_string()?;
    let prefix = format!("{}=", ZONE_COOKIE);
    cookies.split("; ").find_map(|c| c.strip_prefix(&prefix)).map(str::to_string)
}

/// Tells the server the browser's zone (a cookie, so the page it renders next counts
/// days there); whether the cookie changed.
pub fn remember_zone() -> bool {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        let Some(zone) = browser_zone() else { return false };
        // IANA names are letters, digits, '/', '_', '-' and '+': nothing to escape.
        if zone_cookie().as_deref() == Some(zone.as_str()) || !zone.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b)) {
            return false;
        }
        let cookie = format!("{}={zone}; Path=/; Max-Age=31536000; SameSite=Strict", ZONE_COOKIE);
        let _ = leptos::web_sys::js_sys::Reflect::set(&document(), &JsValue::from_str("cookie"), &JsValue::from_str(&cookie));
        zone_cookie().as_deref() == Some(zone.as_str())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}
