//! Finding users within what a caller administers, and role assignments of a whole subtree.

use sqlx::Row;

use super::roles::{assignment_row, ROW_SELECT};
use super::{Store, StoreResult};
use crate::api::access::UserSummary;
use crate::api::roles::RoleAssignmentRow;
use crate::domain::search::{fold, like_escape, SearchScope};

/// Deeper trees than this are not followed (a cycle cannot be made through the API, but a
/// recursive query must end whatever the data).
const MAX_DEPTH: i64 = 64;

/// `WITH RECURSIVE subtree` over the organizations whose ids are bound at `first`,
/// `first + 1`, … (`count` of them): those and everything below them.
fn subtree_cte(first: usize, count: usize) -> String {
    let roots: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    format!(
        "WITH RECURSIVE subtree (id, depth) AS ( \
           SELECT id, 0 FROM organizations WHERE id IN ({}) \
           UNION ALL \
           SELECT o.id, s.depth + 1 FROM organizations o JOIN subtree s ON o.parent_id = s.id \
           WHERE s.depth < {MAX_DEPTH} \
         ) ",
        roots.join(", ")
    )
}

/// What a search looks for.
#[derive(Clone, Debug)]
pub struct UserQuery<'a> {
    /// The query as typed (trimmed).
    pub text: &'a str,
    /// The e-mail key an exact e-mail match must have.
    pub email_key: &'a str,
    pub scope: &'a SearchScope,
    pub limit: i64,
}

impl Store {
    /// Users matching the query within the scope, best first: the exact e-mail, then names
    /// that start with it, then names with a word that starts with it, then any name or
    /// e-mail that contains it; alphabetical within each.
    pub async fn search_users(&self, query: &UserQuery<'_>) -> StoreResult<Vec<UserSummary>> {
        let roots = match query.scope {
            SearchScope::Refused => return Ok(Vec::new()),
            SearchScope::Everyone => &[][..],
            SearchScope::Administered(roots) => roots.as_slice(),
        };
        let folded = like_escape(&fold(query.text));
        // A query that folds to nothing (only symbols) can still be an exact e-mail.
        let (prefix, word, anywhere) = if folded.is_empty() {
            (String::new(), String::new(), String::new())
        } else {
            (
                format!("{folded}%"),
                format!("% {folded}%"),
                format!("%{folded}%"),
            )
        };
        let mut sql = String::new();
        let scoped = !roots.is_empty();
        if scoped {
            sql.push_str(&subtree_cte(6, roots.len()));
        }
        sql.push_str(
            "SELECT u.id, u.name, u.email, \
               CASE WHEN u.email_key = $1 THEN 0 \
                    WHEN u.name_fold LIKE $2 ESCAPE '\\' THEN 1 \
                    WHEN u.name_fold LIKE $3 ESCAPE '\\' THEN 2 \
                    ELSE 3 END AS rank \
             FROM users u \
             WHERE (u.email_key = $1 OR (($4 <> '') AND (u.name_fold LIKE $4 ESCAPE '\\' \
                    OR u.email_fold LIKE $4 ESCAPE '\\')))",
        );
        if scoped {
            sql.push_str(
                " AND (u.email_key = $1 OR u.id IN (SELECT r.user_id FROM role_assignments r \
                   WHERE r.organization_id IN (SELECT id FROM subtree)))",
            );
        }
        sql.push_str(" ORDER BY rank, u.name_fold, u.id LIMIT $5");
        let mut statement = sqlx::query(&sql)
            .bind(query.email_key)
            .bind(prefix)
            .bind(word)
            .bind(anywhere)
            .bind(query.limit);
        for root in roots {
            statement = statement.bind(root.as_str());
        }
        let rows = statement.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(UserSummary {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    email: row.try_get("email")?,
                })
            })
            .collect()
    }

    /// The role assignments in an organization and every organization below it, ordered as
    /// [`Store::list_role_assignments`] orders them.
    pub async fn list_role_assignments_below(
        &self,
        user_id: Option<i64>,
        organization_id: &str,
    ) -> StoreResult<Vec<RoleAssignmentRow>> {
        let mut sql = subtree_cte(1, 1);
        sql.push_str(ROW_SELECT);
        sql.push_str(" WHERE r.organization_id IN (SELECT id FROM subtree)");
        if user_id.is_some() {
            sql.push_str(" AND r.user_id = $2");
        }
        sql.push_str(" ORDER BY u.name, u.id, o.name, o.id, r.valid_from");
        let mut statement = sqlx::query(&sql).bind(organization_id);
        if let Some(user_id) = user_id {
            statement = statement.bind(user_id);
        }
        let rows = statement.fetch_all(&self.pool).await?;
        rows.iter().map(assignment_row).collect()
    }

    /// Gives users written before search existed their folded name and e-mail. A derived
    /// index, not a change anyone made: no event.
    pub(crate) async fn fill_search_keys(&self) -> StoreResult<()> {
        self.retrying(|| self.fill_search_keys_once()).await
    }

    async fn fill_search_keys_once(&self) -> StoreResult<()> {
        let rows = sqlx::query(
            "SELECT id, name, email FROM users WHERE name_fold IS NULL OR email_fold IS NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for row in &rows {
            let name: String = row.try_get("name")?;
            let email: String = row.try_get("email")?;
            sqlx::query("UPDATE users SET name_fold = $2, email_fold = $3 WHERE id = $1")
                .bind(row.try_get::<i64, _>("id")?)
                .bind(fold(&name))
                .bind(fold(&email))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
