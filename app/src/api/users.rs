//! The users of this MCU: list, add, change role or password, delete (`ManageUsers`).

use super::*;

/// The Users page's data; `can_manage` says whether the caller may change users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<UserView>,
    pub can_manage: bool,
}

#[server(endpoint = "list_users", output = crate::error::Json)]
pub async fn list_users() -> Result<UserList, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewUsers).await?;
        let users = st.db(|s| s.users()).await?;
        Ok(UserList { users, can_manage: me.role.can(Permission::ManageUsers) })
    })
    .await
}

#[server(endpoint = "add_user", output = crate::error::Json)]
pub async fn add_user(name: String, password: String, role: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let name = domain::validate::user_name(&name)?;
        let password = domain::validate::new_password(&password)?;
        let role = domain::validate::role(&role)?;
        let user = st.db(move |s| s.create_user(&name, &password, role)).await?;
        tracing::info!(by = %me.name, user = %user.name, "user added");
        st.audit(domain::audit::AuditKind::Users, &format!("User '{}' added as {}.", user.name, user.role), true).await;
        Ok(format!("User '{}' added as {}.", user.name, user.role))
    })
    .await
}

#[server(endpoint = "set_user_role", output = crate::error::Json)]
pub async fn set_user_role(name: String, role: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let role = domain::validate::role(&role)?;
        let who = name.clone();
        st.db(move |s| s.set_role(&who, role)).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user role changed");
        st.audit(domain::audit::AuditKind::Users, &format!("Role of '{name}' changed to {role}."), true).await;
        Ok(format!("'{name}' is now {role}."))
    })
    .await
}

#[server(endpoint = "set_user_password", output = crate::error::Json)]
pub async fn set_user_password(name: String, password: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let password = domain::validate::new_password(&password)?;
        let keep = if me.name.eq_ignore_ascii_case(&name) { crate::state::session_token(&st) } else { None };
        let who = name.clone();
        st.db(move |s| s.set_password(&who, &password, keep.as_deref())).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user password changed");
        st.audit(domain::audit::AuditKind::Users, &format!("Password of '{name}' changed."), true).await;
        Ok(format!("Password of '{name}' changed; their other sessions were ended."))
    })
    .await
}

#[server(endpoint = "delete_user", output = crate::error::Json)]
pub async fn delete_user(name: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        domain::users::may_delete(&me.name, &name)?;
        let who = name.clone();
        st.db(move |s| s.delete_user(&who)).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user deleted");
        st.audit(domain::audit::AuditKind::Users, &format!("User '{name}' deleted."), true).await;
        Ok(format!("User '{name}' deleted."))
    })
    .await
}

/// Any logged-in user changes their own password: the current one first (counted like a
/// login, so a session left open cannot be used to guess it), then the new one as every
/// password is checked. This session stays; the user's others end.
#[server(endpoint = "change_own_password", output = crate::error::Json)]
pub async fn change_own_password(current_password: String, new_password: String) -> Result<String, AppError> {
    answer(async move {
        use domain::throttle::Outcome;
        // Every role sees conferences: this is "any logged-in user".
        let (st, me) = require(Permission::ViewConferences).await?;
        // The checks of a login's and a new password's, under this form's own fields.
        let under = |field: &'static str| {
            move |e: domain::DomainError| match e {
                domain::DomainError::Invalid { message, .. } => AppError::Invalid { field: field.into(), message },
                other => other.into(),
            }
        };
        let (_, current) = domain::validate::login_credentials(&me.name, &current_password).map_err(under("current_password"))?;
        let ticket = match st.throttle.begin(&me.name, crate::state::client_ip()) {
            Ok(t) => t,
            Err(r) => {
                return Err(AppError::Throttled { message: format!("Too many wrong passwords. Try again in {} s.", r.wait_s), retry_after_s: r.wait_s });
            }
        };
        let new = match domain::validate::new_password(&new_password) {
            Ok(p) => p,
            Err(e) => {
                ticket.finish(Outcome::NotChecked);
                return Err(under("new_password")(e));
            }
        };
        let (who, typed) = (me.name.clone(), current.clone());
        match st.db(move |s| s.check_login(&who, &typed)).await {
            Ok(Some(_)) => ticket.finish(Outcome::Success),
            Ok(None) => {
                ticket.finish(Outcome::Failure);
                st.audit(domain::audit::AuditKind::Users, "Own password change refused: wrong current password.", false).await;
                return Err(AppError::Invalid { field: "current_password".into(), message: "That is not your current password.".into() });
            }
            Err(e) => {
                ticket.finish(Outcome::NotChecked);
                return Err(e);
            }
        }
        if new == current {
            return Err(AppError::Invalid { field: "new_password".into(), message: "The new password is the one you have now: choose another.".into() });
        }
        let keep = crate::state::session_token(&st);
        let who = me.name.clone();
        st.db(move |s| s.set_password(&who, &new, keep.as_deref())).await?;
        st.sessions.clear();
        tracing::info!(user = %me.name, "own password changed");
        st.audit(domain::audit::AuditKind::Users, "Changed their own password.", true).await;
        Ok("Your password is changed. Your other sessions on this MCU were ended; change it on the paired MCU too (G2).".into())
    })
    .await
}
