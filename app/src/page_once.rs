//! The page inside the frame, walked only by its own `Transition`s on the server.
//!
//! To find every resource a Suspense's children read, server-side rendering walks them
//! ("dry resolve") before it renders them, and again once those resources have loaded.
//! With a router, each walk ran its outlet, which made the page anew, and every page made
//! started its own server calls and sent their answers with the HTML. The page is now made
//! once (`app::page_view`), but the frame still waits only for its own data (the shell):
//! each page waits for its data in its own `Transition`. So the frame's walk stops here.
//! In the browser it is the page, unchanged.

use leptos::prelude::AnyView;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::ssr::StreamBuilder;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::any_view::AnyViewState;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

pub struct PageOnce(pub AnyView);

impl Render for PageOnce {
    type State = AnyViewState;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state)
    }
}

impl AddAnyAttr for PageOnce {
    type Output<SomeNewAttr: Attribute> = PageOnce;

    fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Self::Output<NewAttr> {
        self
    }
}

impl RenderHtml for PageOnce {
    type AsyncOutput = AnyView;
    type Owned = PageOnce;

    const MIN_LENGTH: usize = 0;

    /// Not walked: the page is made when it is resolved (below), once.
    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Self::AsyncOutput {
        self.0.resolve().await
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0.to_html_with_buf(buf, position, escape, mark_branches, extra_attrs)
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) where
        Self: Sized,
    {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(buf, position, escape, mark_branches, extra_attrs)
    }

    fn hydrate<const FROM_SERVER: bool>(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        self.0.hydrate_async(cursor, position).await
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}
