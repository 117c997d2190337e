//! The HTML document, the routes, and the frame (header, navigation, login guard) that
//! every page but the login page sits in.

use crate::api::{get_hot_backup_badge, get_shell, Logout, Shell};
use crate::components::ErrorMsg;
use crate::pages::*;
use domain::Permission;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::state::set_page_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the page as hydrated (tests wait for it).
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/mcu.css"/>
        <Title formatter=|t: String| if t.is_empty() { "MCU".to_string() } else { format!("{t} · MCU") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=Frame ssr=SsrMode::Async>
                    <Route path=path!("") view=ConferencesPage/>
                    <Route path=path!("conferences") view=ConferencesPage/>
                    <Route path=path!("conferences/:id") view=ConferencePage/>
                    <Route path=path!("reservations") view=ReservationsPage/>
                    <Route path=path!("meeting-rooms") view=MeetingRoomsPage/>
                    <Route path=path!("profiles") view=ProfilesPage/>
                    <Route path=path!("entry-queues") view=EntryQueuesPage/>
                    <Route path=path!("ivr-services") view=IvrServicesPage/>
                    <Route path=path!("recording-links") view=RecordingLinksPage/>
                    <Route path=path!("network") view=NetworkPage/>
                    <Route path=path!("users") view=UsersPage/>
                    <Route path=path!("hot-backup") view=HotBackupPage/>
                    <Route path=path!("system") view=SystemPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Navigation entries: label, path, and what the user must be allowed to see it.
const NAV: [(&str, &str, Permission); 11] = [
    ("Conferences", "/conferences", Permission::ViewConferences),
    ("Reservations", "/reservations", Permission::ViewResources),
    ("Meeting Rooms", "/meeting-rooms", Permission::ViewResources),
    ("Profiles", "/profiles", Permission::ViewResources),
    ("Entry Queues", "/entry-queues", Permission::ViewResources),
    ("IVR Services", "/ivr-services", Permission::ViewResources),
    ("Recording Links", "/recording-links", Permission::ViewResources),
    ("Network", "/network", Permission::ViewConfiguration),
    ("Users", "/users", Permission::ViewUsers),
    ("Hot Backup", "/hot-backup", Permission::ViewConfiguration),
    ("System", "/system", Permission::ViewConfiguration),
];

#[component]
fn Frame() -> impl IntoView {
    let shell = Resource::new(|| (), |_| get_shell());
    let changes = RwSignal::new(0u64);
    provide_context(crate::live::LiveChanges(changes));
    // Browser only: one event stream for every page inside the frame.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        crate::live::connect(changes);
        #[cfg(not(feature = "hydrate"))]
        let _ = changes;
    });
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <Transition fallback=|| view! { <header class="top"><span class="brand">"MCU"</span></header> }>
            {move || Suspend::new(async move {
                match shell.await {
                    Ok(s) => Either::Left(frame_header(s)),
                    Err(e) => Either::Right(view! { <header class="top"><ErrorMsg error=e/></header> }),
                }
            })}
        </Transition>
        <main id="main" tabindex="-1">
            <Outlet/>
        </main>
    }
}

fn frame_header(s: Shell) -> impl IntoView {
    let Some(user) = s.user else {
        let here = use_location();
        let next = format!("/login?next={}", here.pathname.get_untracked());
        return Either::Left(view! { <Redirect path=next/> });
    };
    let (menu_open, set_menu_open) = signal(false);
    let logout = ServerAction::<Logout>::new();
    let links = NAV
        .into_iter()
        .filter(|(_, _, p)| user.role.can(*p))
        .map(|(label, href, _)| {
            view! { <li><A href=href on:click=move |_| set_menu_open.set(false)>{label}</A></li> }
        })
        .collect_view();
    Either::Right(view! {
        <header class="top">
            <div class="brand">
                <span class="mcu-name">{s.info.name.clone()}</span>
                <span class="mcu-meta">{format!("{} · v{}", s.info.model.label(), s.info.version)}</span>
            </div>
            <HbBadge initial=s.hot_backup.clone()/>
            <button
                type="button"
                class="menu-toggle"
                aria-controls="nav"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| set_menu_open.update(|o| *o = !*o)
            >
                "Menu"
            </button>
            <nav id="nav" aria-label="Main" class:open=move || menu_open.get()>
                <ul>{links}</ul>
                <div class="who">
                    <span class="user">{user.name.clone()}" "<small>"("{user.role.label()}")"</small></span>
                    <ActionForm action=logout>
                        <button type="submit" class="link">"Log out"</button>
                    </ActionForm>
                </div>
            </nav>
        </header>
    })
}

/// The Hot Backup role badge, refreshed every two seconds (browser only).
#[component]
fn HbBadge(initial: String) -> impl IntoView {
    let (text, set_text) = signal(initial);
    Effect::new(move |_| {
        let refresh = move || {
            leptos::task::spawn_local(async move {
                if let Ok(t) = get_hot_backup_badge().await {
                    set_text.set(t);
                }
            })
        };
        if let Ok(h) = set_interval_with_handle(refresh, std::time::Duration::from_secs(2)) {
            on_cleanup(move || h.clear());
        }
    });
    view! { <a href="/hot-backup" class="badge hb-badge" title="Hot Backup role and Sync Status">{text}</a> }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="narrow">
            <h1>"Page not found"</h1>
            <p><a href="/">"Go to the conference list"</a></p>
        </main>
    }
}
