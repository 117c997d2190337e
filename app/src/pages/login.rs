//! The login page. Works before the WASM has loaded (a plain form post); once hydrated
//! it also offers "Show password".

use crate::api::{get_shell, Login, Shell};
use crate::components::{invalid, FieldError, FormStatus};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let result = Signal::derive(move || login.value().get().map(|r| r.map(|u| format!("Welcome, {}.", u.name))));
    let next = crate::nav::query_value("next").unwrap_or_else(|| "/".to_string());
    let (show, set_show) = signal(false);
    // The password policy says the password has expired: a new one is asked for, and the
    // field stays once shown.
    let asked = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Err(e)) = login.value().get() {
            if e.for_field("new_password").is_some() {
                asked.set(true);
            }
        }
    });
    // Which MCU this is (its name and Hot Backup role are public, as on `/healthz`).
    let shell = Resource::new(|| (), |_| get_shell(false));
    view! {
        <Title text="Log in"/>
        <main class="narrow login">
            <Transition fallback=|| view! { <h1>"Log in to the MCU"</h1> }>
                {Suspend::new(async move { which_mcu(shell.await.ok()) })}
            </Transition>
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
                <div class="field" hidden=move || !asked.get()>
                    <label for="login-new-password">"New password"</label>
                    <input id="login-new-password" name="new_password" type=move || if show.get() { "text" } else { "password" }
                        autocomplete="new-password" disabled=move || !asked.get()
                        aria-describedby="login-new-password-error" aria-invalid=invalid(result, "new_password")/>
                </div>
                <FieldError id="login-new-password" field="new_password" result=result/>
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

/// The heading names the MCU and, when paired, which of the two it is (the tab's title too),
/// so two login pages side by side never look alike.
fn which_mcu(shell: Option<Shell>) -> impl IntoView {
    use domain::hotbackup::LiveRole;
    let Some(s) = shell else { return view! { <h1>"Log in to the MCU"</h1> }.into_any() };
    let name = s.info.name.clone();
    let (role, line) = match s.role {
        LiveRole::Standalone => (None, None),
        LiveRole::Master => (Some("Master"), Some("The Master MCU of a Hot Backup pair: changes are made here.")),
        LiveRole::Slave => (Some("Slave"), Some("The Slave MCU of a Hot Backup pair: a read-only mirror of the Master.")),
    };
    let title_name = name.clone();
    let title = move |t: String| match role {
        Some(r) => format!("{title_name} · {r} · {t}"),
        None => format!("{title_name} · {t}"),
    };
    view! {
        <Title formatter=title/>
        <h1>{format!("Log in to {name}")}</h1>
        {line.map(|l| view! { <p class=format!("login-role hb-{}", role.unwrap_or_default().to_lowercase()) data-testid="login-role">{l}</p> })}
    }
    .into_any()
}
