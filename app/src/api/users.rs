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
