//! The login page. Works before the WASM has loaded (a plain form post); once hydrated
//! it also offers "Show password".

use crate::api::Login;
use crate::components::{invalid, FieldError, FormStatus};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let result = Signal::derive(move || login.value().get().map(|r| r.map(|u| format!("Welcome, {}.", u.name))));
    let next = crate::nav::query_value("next").unwrap_or_else(|| "/".to_string());
    let (show, set_show) = signal(false);
    view! {
        <Title text="Log in"/>
        <main class="narrow login">
            <h1>"Log in to the MCU"</h1>
            <ActionForm action=login attr:class="card form">
                <input type="hidden" name="next" value=next/>
                <label for="login-username">"User name"</label>
                <input
                    id="login-username"
                    name="username"
                    autocomplete="username"
                    autocapitalize="none"
                    required
                    aria-describedby="login-username-error"
                    aria-invalid=invalid(result, "username")
                />
                <FieldError id="login-username" field="username" result=result/>
                <label for="login-password">"Password"</label>
                <input
                    id="login-password"
                    name="password"
                    type=move || if show.get() { "text" } else { "password" }
                    autocomplete="current-password"
                    required
                    aria-describedby="login-password-error"
                    aria-invalid=invalid(result, "password")
                />
                <FieldError id="login-password" field="password" result=result/>
                <label class="check">
                    <input type="checkbox" on:change=move |ev| set_show.set(event_target_checked(&ev))/>
                    "Show password"
                </label>
                <FormStatus result=result/>
                <button type="submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </ActionForm>
        </main>
    }
}
