//! The MCU's browser app: Leptos pages and components (rendered on the server, hydrated
//! in the browser) and the server functions they call.
//!
//! - [`app`]: the HTML shell, the router and the frame every page sits in.
//! - [`pages`]: one module per page.
//! - [`components`]: small shared pieces (error messages, field errors).
//! - [`api`]: server functions; [`state`] (server only): who is calling, role checks.
//! - [`error`]: the typed error every server function returns.

#![forbid(unsafe_code)]

// A server function's arguments are its form's fields, so a form with many fields makes a
// function with many arguments (the macro copies them to generated code, where a local
// `allow` does not reach).
#![allow(clippy::too_many_arguments)]
// Views are deeply nested types; the optimised WASM build needs more room to lay them out.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod live;
pub mod localtime;
pub mod nav;
mod page_once;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod state;

pub use app::{shell, App};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A server function that answers with a redirect (login, logout, terminate) loads
    // that page.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        let _ = leptos::prelude::window().location().assign(to);
    });
    // The page's code first (its split group), then the page hydrates.
    let page = nav::Page::of(&nav::path());
    wasm_bindgen_futures::spawn_local(async move {
        app::load_group(page.group()).await;
        leptos::mount::hydrate_body(App);
    });
}
