//! Runs a [`Command`] against the server and says what came back: data and errors, no
//! words for the screen (the app writes those).

use super::message::{Command, Done, Response, PAGE_SIZE, SEARCH_LIMIT};
use super::tabs::subject_query;
use crate::api::events::ActivityQuery;
use crate::api::roles::RoleEnvelope;
use crate::client::{ApiClient, ClientError};

pub async fn execute(client: &ApiClient, command: Command) -> Response {
    match command {
        Command::LoadDashboard => Response::Dashboard(client.dashboard().await.map(|d| d.summary)),
        Command::CheckToken => Response::TokenChecked(client.me().await.map(|me| me.user)),
        Command::LoadVehicles => Response::Vehicles(client.vehicles().await.map(|v| v.vehicles)),
        Command::LoadTechnicians => {
            Response::Technicians(client.technicians().await.map(|t| t.technicians))
        }
        Command::LoadAssignments {
            generation,
            status,
            before,
        } => Response::Assignments {
            generation,
            append: before.is_some(),
            result: client.assignments(status, Some(PAGE_SIZE), before).await,
        },
        Command::LoadOrganizations => {
            Response::Organizations(client.organizations().await.map(|o| o.organizations))
        }
        Command::LoadMyRoles { user_id } => Response::MyRoles(
            client
                .role_assignments(Some(user_id), None)
                .await
                .map(|answer| answer.assignments),
        ),
        Command::SearchUsers { request, query } => {
            let result = client
                .search_users(&query, SEARCH_LIMIT)
                .await
                .map(|found| found.users);
            Response::UsersFound {
                request,
                query,
                result,
            }
        }
        Command::LoadUserRoles { user_id } => {
            let result = client.user_roles(user_id).await;
            Response::UserRoles { user_id, result }
        }
        Command::LoadRoleAssignments {
            request,
            organization_id,
            below,
        } => {
            let result = if below {
                client.role_assignments_below(&organization_id).await
            } else {
                client.role_assignments(None, Some(&organization_id)).await
            };
            Response::RoleAssignments {
                request,
                organization_id,
                below,
                result: result.map(|answer| answer.assignments),
            }
        }
        Command::LoadActivity {
            generation,
            before,
            subject,
        } => {
            let query = match subject {
                Some(subject) => subject_query(subject),
                None => ActivityQuery {
                    limit: Some(PAGE_SIZE),
                    before,
                    ..ActivityQuery::default()
                },
            };
            Response::Activity {
                generation,
                subject,
                append: before.is_some(),
                result: client.activity(&query).await,
            }
        }
        Command::SignIn { email, password } => Response::SignedIn(
            client
                .login(&email, &password)
                .await
                .map(|answer| (answer.token, answer.user)),
        ),
        action => {
            let result = run_action(client, &action).await;
            Response::Action {
                command: action,
                result,
            }
        }
    }
}

async fn run_action(client: &ApiClient, action: &Command) -> Result<Done, ClientError> {
    Ok(match action {
        Command::CreateAssignment(request) => Done::Assigned(Box::new(
            client.create_assignment(request).await?.assignment,
        )),
        Command::ReturnAssignment(id, readings) => Done::Returned(Box::new(
            client.return_assignment(*id, readings).await?.assignment,
        )),
        Command::CreateVehicle(new) => {
            Done::VehicleCreated(Box::new(client.create_vehicle(new).await?.vehicle))
        }
        Command::UpdateVehicle(id, patch) => {
            Done::VehicleSaved(Box::new(client.update_vehicle(*id, patch).await?.vehicle))
        }
        Command::SetVehicleStatus(id, _, patch) => {
            Done::VehicleStatus(Box::new(client.update_vehicle(*id, patch).await?.vehicle))
        }
        Command::DeleteVehicle(id, name) => {
            client.delete_vehicle(*id).await?;
            Done::VehicleDeleted(name.clone())
        }
        Command::CreateTechnician(new) => {
            Done::TechnicianCreated(client.create_user(new).await?.user)
        }
        Command::UpdateTechnician(id, patch) => {
            Done::TechnicianSaved(client.update_user(*id, patch).await?.user)
        }
        Command::SaveRoleAssignment(request) => {
            roles_done(client.save_role_assignment(request).await?)
        }
        Command::ResolveRoleConflict(resolve) => {
            roles_done(client.resolve_role_conflict(resolve).await?)
        }
        Command::DeleteRoleAssignment(rel_id) => {
            roles_done(client.delete_role_assignment(*rel_id).await?)
        }
        Command::LoadDashboard
        | Command::LoadVehicles
        | Command::LoadTechnicians
        | Command::LoadAssignments { .. }
        | Command::LoadOrganizations
        | Command::LoadMyRoles { .. }
        | Command::SearchUsers { .. }
        | Command::LoadUserRoles { .. }
        | Command::LoadRoleAssignments { .. }
        | Command::LoadActivity { .. }
        | Command::SignIn { .. }
        | Command::CheckToken
        | Command::Quit => Done::Nothing,
    })
}

/// The server's sentence and the assignment it wrote (none for a delete).
fn roles_done(envelope: RoleEnvelope) -> Done {
    Done::Roles {
        message: envelope.first_message().to_string(),
        rel_id: envelope.items.first().and_then(|item| item.rel_id),
    }
}
