//! The typed client (`fleetdesk::client`) against the real server in-process: every method,
//! and every kind of failure the terminal client reacts to.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{TestServer, ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET};
use fleetdesk::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use fleetdesk::api::roles::{
    ConflictType, NewOrganization, ResolveRequest, Role, RoleAssignmentRequest, UserIdValue,
};
use fleetdesk::api::{
    AssignmentStatus, ConflictReason, NewAssignment, NewUser, NewVehicle, Paging, SystemRole, User,
    UserPatch, Vehicle, VehiclePatch,
};
use fleetdesk::client::{ApiClient, ClientError};
use fleetdesk::server::auth::TokenKeys;
const TIMEOUT: Duration = Duration::from_secs(30);

fn client_for(s: &TestServer) -> ApiClient {
    // A trailing slash, as a user might type it.
    ApiClient::new(&format!("{}/", s.url), TIMEOUT).expect("a client")
}

async fn admin_client(s: &TestServer) -> ApiClient {
    let client = client_for(s);
    let login = client
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect("the admin signs in");
    client.with_token(login.token)
}

async fn signed_in(s: &TestServer, email: &str, password: &str) -> ApiClient {
    let client = client_for(s);
    let login = client.login(email, password).await.expect("signs in");
    client.with_token(login.token)
}

fn new_vehicle(name: &str, plate: &str) -> NewVehicle {
    NewVehicle {
        name: name.to_string(),
        license_plate: plate.to_string(),
        make: None,
        model: None,
        year: None,
    }
}

fn new_technician(name: &str, email: &str) -> NewUser {
    NewUser {
        name: name.to_string(),
        email: email.to_string(),
        password: "password-123".to_string(),
        role: SystemRole::Technician,
    }
}

fn assign(vehicle: &Vehicle, technician: &User) -> NewAssignment {
    NewAssignment {
        vehicle_id: vehicle.id,
        technician_id: technician.id,
        return_conflicting: false,
    }
}

fn day(year: i32, month: u32, day: u32) -> Day {
    Day::from_ymd(year, month, day).expect("a date")
}

/// Every method of the fleet API, on the happy path.
async fn fleet_methods_round_trip(s: &TestServer) {
    let client = client_for(s);
    assert_eq!(client.base_url(), s.url);
    assert_eq!(client.token(), None);
    let login = client
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect("signs in");
    assert_eq!(login.user.role, SystemRole::Admin);
    assert!(login.expires_at > Utc::now());
    let admin = client.with_token(login.token.clone());
    assert_eq!(admin.token(), Some(login.token.as_str()));
    assert_eq!(admin.me().await.expect("me").user, login.user);

    // Vehicles.
    let van = admin
        .create_vehicle(&NewVehicle {
            make: Some("Ford".into()),
            model: Some("Transit".into()),
            year: Some(2021),
            ..new_vehicle("Van 12", "HH-FD 112")
        })
        .await
        .expect("created")
        .vehicle;
    assert_eq!(
        (van.name.as_str(), van.license_plate.as_str(), van.year),
        ("Van 12", "HH-FD 112", Some(2021))
    );
    let bike = admin
        .create_vehicle(&new_vehicle("Bike 1", "B 1"))
        .await
        .expect("created")
        .vehicle;
    assert_eq!(bike.make, None);
    assert_eq!(admin.vehicle(van.id).await.expect("got").vehicle, van);
    let van = admin
        .update_vehicle(
            van.id,
            &VehiclePatch {
                name: Some("Van 12b".into()),
                make: Some(None),
                ..VehiclePatch::default()
            },
        )
        .await
        .expect("patched")
        .vehicle;
    assert_eq!(van.name, "Van 12b");
    assert_eq!(van.make, None, "Some(None) clears a nullable field");
    assert_eq!(van.model.as_deref(), Some("Transit"), "absent leaves it");
    let listed = admin.vehicles().await.expect("listed").vehicles;
    let names: Vec<&str> = listed
        .iter()
        .map(|item| item.vehicle.name.as_str())
        .collect();
    assert_eq!(names, ["Bike 1", "Van 12b"]);
    assert!(listed.iter().all(|item| item.active_assignment.is_none()));
    admin.delete_vehicle(bike.id).await.expect("deleted");
    assert!(matches!(
        admin.vehicle(bike.id).await,
        Err(ClientError::Api { status: 404, .. })
    ));

    // Users and technicians.
    let ana = admin
        .create_user(&new_technician("Ana Ruiz", "ana@depot.example"))
        .await
        .expect("created")
        .user;
    assert_eq!(ana.role, SystemRole::Technician);
    let ana = admin
        .update_user(
            ana.id,
            &UserPatch {
                name: Some("Ana Ruiz-Ortega".into()),
                ..UserPatch::default()
            },
        )
        .await
        .expect("patched")
        .user;
    assert_eq!(ana.name, "Ana Ruiz-Ortega");
    let users = admin.users().await.expect("listed").users;
    assert!(users.contains(&ana) && users.contains(&login.user));
    let technicians = admin.technicians().await.expect("listed").technicians;
    assert_eq!(technicians.len(), 1);
    assert_eq!(technicians[0].user, ana);
    assert!(technicians[0].active_assignment.is_none());
    // The technician signs in with the password the admin set.
    let as_ana = signed_in(s, "ana@depot.example", "password-123").await;
    assert_eq!(as_ana.me().await.expect("me").user, ana);

    // Assignments.
    let first = admin
        .create_assignment(&assign(&van, &ana))
        .await
        .expect("assigned")
        .assignment;
    assert_eq!(first.status, AssignmentStatus::Active);
    assert_eq!((first.vehicle_id, first.technician_id), (van.id, ana.id));
    assert_eq!(first.returned_date, None);
    assert_eq!(
        admin.assignment(first.id).await.expect("got").assignment,
        first
    );
    let technicians = admin.technicians().await.expect("listed").technicians;
    assert_eq!(
        technicians[0].active_assignment.as_ref().map(|a| a.id),
        Some(first.id)
    );
    let vehicles = admin.vehicles().await.expect("listed").vehicles;
    assert_eq!(
        vehicles[0]
            .active_assignment
            .as_ref()
            .map(|a| a.technician.id),
        Some(ana.id)
    );
    let summary = admin.dashboard().await.expect("dashboard").summary;
    assert_eq!(
        (
            summary.active_assignments,
            summary.vehicles,
            summary.technicians,
            summary.available_vehicles,
            summary.available_technicians
        ),
        (1, 1, 1, 0, 0)
    );

    let returned = admin
        .return_assignment(first.id, &Default::default())
        .await
        .expect("returned")
        .assignment;
    assert_eq!(returned.status, AssignmentStatus::Returned);
    assert!(returned.returned_date.is_some());
    // A retry over a flaky link: still a success, record unchanged.
    let again = admin
        .return_assignment(first.id, &Default::default())
        .await
        .expect("idempotent")
        .assignment;
    assert_eq!(again, returned);

    let second = admin
        .create_assignment(&assign(&van, &ana))
        .await
        .expect("assigned again")
        .assignment;
    let all = admin.assignments(None, None, None).await.expect("history");
    assert_eq!(all.next_before, Paging::Unpaged);
    let ids: Vec<i64> = all.assignments.iter().map(|a| a.id).collect();
    assert_eq!(ids, [second.id, first.id], "newest first");
    let active = admin
        .assignments(Some(AssignmentStatus::Active), None, None)
        .await
        .expect("active");
    assert_eq!(active.assignments, std::slice::from_ref(&second));
    let past = admin
        .assignments(Some(AssignmentStatus::Returned), None, None)
        .await
        .expect("returned");
    assert_eq!(past.assignments, std::slice::from_ref(&returned));
    // One row per page, following nextBefore to the end.
    let page = admin
        .assignments(None, Some(1), None)
        .await
        .expect("page 1");
    assert_eq!(page.assignments, std::slice::from_ref(&second));
    assert_eq!(page.next_before, Paging::NextBefore(second.id));
    let page = admin
        .assignments(None, Some(1), page.next_before.next_before())
        .await
        .expect("page 2");
    assert_eq!(page.assignments, std::slice::from_ref(&returned));
    assert_eq!(page.next_before, Paging::LastPage);

    // History is never deleted, so neither is a vehicle that has some.
    match admin.delete_vehicle(van.id).await {
        Err(ClientError::Conflict { message }) => assert!(!message.is_empty()),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let summary = admin.dashboard().await.expect("dashboard").summary;
    assert_eq!(summary.active_assignments, 1);
}

/// A 409 of POST /api/admin/assignments comes back typed; `returnConflicting` resolves it.
async fn assignment_conflicts_are_typed(s: &TestServer) {
    let admin = admin_client(s).await;
    let mut vehicles = Vec::new();
    for (name, plate) in [("Van 1", "V 1"), ("Van 2", "V 2")] {
        let created = admin.create_vehicle(&new_vehicle(name, plate)).await;
        vehicles.push(created.expect("created").vehicle);
    }
    let mut technicians = Vec::new();
    for (name, email) in [("Ana", "ana@depot.example"), ("Bo", "bo@depot.example")] {
        let created = admin.create_user(&new_technician(name, email)).await;
        technicians.push(created.expect("created").user);
    }
    let (v1, v2, t1, t2) = (&vehicles[0], &vehicles[1], &technicians[0], &technicians[1]);
    let a1 = admin
        .create_assignment(&assign(v1, t1))
        .await
        .expect("assigned")
        .assignment;

    let error = admin
        .create_assignment(&assign(v1, t2))
        .await
        .expect_err("the vehicle is busy");
    assert_eq!(error.status(), Some(409));
    assert!(!error.is_retryable());
    let ClientError::AssignmentConflict(body) = &error else {
        panic!("expected a typed assignment conflict, got {error:?}");
    };
    assert_eq!(body.error, "conflict");
    assert_eq!(error.user_message(), body.message);
    assert_eq!(body.conflicts.len(), 1);
    assert_eq!(body.conflicts[0].reason, ConflictReason::VehicleBusy);
    assert_eq!(body.conflicts[0].assignment, Some(a1.clone()));

    let a2 = admin
        .create_assignment(&assign(v2, t2))
        .await
        .expect("assigned")
        .assignment;
    let error = admin
        .create_assignment(&assign(v1, t2))
        .await
        .expect_err("both are busy");
    let ClientError::AssignmentConflict(body) = error else {
        panic!("expected a typed assignment conflict, got {error:?}");
    };
    let in_the_way: HashSet<(i64, &str)> = body
        .conflicts
        .iter()
        .map(|conflict| {
            let reason = match conflict.reason {
                ConflictReason::VehicleBusy => "vehicle",
                ConflictReason::TechnicianBusy => "technician",
                ConflictReason::VehicleUnavailable => "unavailable",
            };
            let held = conflict
                .assignment
                .as_ref()
                .expect("an assignment in the way");
            (held.id, reason)
        })
        .collect();
    assert_eq!(
        in_the_way,
        HashSet::from([(a1.id, "vehicle"), (a2.id, "technician")])
    );

    // What the conflict dialog sends on "return and reassign".
    let replaced = admin
        .create_assignment(&NewAssignment {
            return_conflicting: true,
            ..assign(v1, t2)
        })
        .await
        .expect("returned and reassigned")
        .assignment;
    assert_eq!(replaced.status, AssignmentStatus::Active);
    assert_eq!(
        (replaced.vehicle_id, replaced.technician_id),
        (v1.id, t2.id)
    );
    for old in [a1.id, a2.id] {
        let old = admin.assignment(old).await.expect("still there").assignment;
        assert_eq!(old.status, AssignmentStatus::Returned);
    }
}

/// Every method of the role API; a 409 comes back as `RoleConflict` and resolves.
async fn role_methods_and_conflict_resolution(s: &TestServer) {
    let admin = admin_client(s).await;
    let root = admin
        .create_organization(&NewOrganization {
            name: "Depot North".into(),
            parent_id: None,
        })
        .await
        .expect("created")
        .organization;
    let bay = admin
        .create_organization(&NewOrganization {
            name: "Bay 3".into(),
            parent_id: Some(root.id.clone()),
        })
        .await
        .expect("created")
        .organization;
    assert_eq!(bay.parent_id.as_deref(), Some(root.id.as_str()));
    let organizations = admin.organizations().await.expect("listed").organizations;
    assert!(organizations.contains(&root) && organizations.contains(&bay));

    let user = admin
        .create_user(&new_technician("Api, User", "api.user@depot.example"))
        .await
        .expect("created")
        .user;
    let open_ended = RoleAssignmentRequest {
        rel_id: None,
        role: None,
        roles: Some(vec![Role::Employee, Role::Administrator]),
        user_id: UserIdValue::Text(user.id.to_string()),
        organization_id: root.id.clone(),
        valid_from: None,
        valid_to: None,
    };
    let created = admin
        .save_role_assignment(&open_ended)
        .await
        .expect("created");
    assert_eq!(
        created.first_message(),
        "The assignment was successfully created."
    );
    let existing = created.items[0].rel_id.expect("relId");

    let roles = admin.user_roles(user.id).await.expect("roles");
    assert_eq!(roles.id, user.id.to_string());
    let grouped: Vec<(Role, i64)> = roles
        .roles
        .iter()
        .flat_map(|group| {
            group
                .organizations
                .iter()
                .map(|org| (group.role, org.rel_id))
        })
        .collect();
    assert_eq!(
        grouped,
        [(Role::Employee, existing), (Role::Administrator, existing)]
    );
    let rows = admin
        .role_assignments(Some(user.id), Some(&root.id))
        .await
        .expect("listed")
        .assignments;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].rel_id, rows[0].valid_from, rows[0].valid_to),
        (existing, DEFAULT_VALID_FROM, DEFAULT_VALID_TO)
    );
    let everyone = admin.role_assignments(None, None).await.expect("listed");
    assert_eq!(everyone.assignments, rows);
    let elsewhere = admin
        .role_assignments(Some(user.id), Some(&bay.id))
        .await
        .expect("listed");
    assert!(elsewhere.assignments.is_empty());

    // Seed 002's first example: the new range wins, the old one is trimmed.
    let request = RoleAssignmentRequest {
        roles: None,
        role: Some(Role::Employee),
        valid_from: Some("2021-01-01T00:00:00+00:00".into()),
        valid_to: Some(String::new()),
        ..open_ended.clone()
    };
    let error = admin
        .save_role_assignment(&request)
        .await
        .expect_err("overlaps");
    assert_eq!(error.status(), Some(409));
    let ClientError::RoleConflict { message, items } = error else {
        panic!("expected a role conflict, got {error:?}");
    };
    assert_eq!(
        message,
        "Dates may not overlap. Api, User has already a role in the organization unit \
         Depot North which is in conflict with the new permission."
    );
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].rel_id, Some(existing));
    assert_eq!(items[0].conflict_type, ConflictType::DateToUpdated);
    assert_eq!(
        (items[0].valid_from, items[0].valid_to),
        (DEFAULT_VALID_FROM, day(2020, 12, 31))
    );
    assert_eq!(items[0].current_valid_to, Some(DEFAULT_VALID_TO));
    assert!(!items[0].validated);
    assert_eq!(items[1].conflict_type, ConflictType::NoUpdate);
    assert_eq!(items[1].rel_id, None);
    assert!(items[1].validated);
    // Nothing was written by the refused request.
    let rows = admin
        .role_assignments(Some(user.id), Some(&root.id))
        .await
        .expect("listed")
        .assignments;
    assert_eq!(rows.len(), 1);

    let resolve = ResolveRequest {
        request: request.clone(),
        resolution: items,
    };
    let resolved = admin
        .resolve_role_conflict(&resolve)
        .await
        .expect("resolved");
    assert_eq!(
        resolved.first_message(),
        "The assignment was successfully created."
    );
    let new_rel = resolved.items[0].rel_id.expect("relId");
    let rows = admin
        .role_assignments(Some(user.id), Some(&root.id))
        .await
        .expect("listed")
        .assignments;
    let state: Vec<(i64, Day, Day)> = rows
        .iter()
        .map(|row| (row.rel_id, row.valid_from, row.valid_to))
        .collect();
    assert_eq!(
        state,
        [
            (existing, DEFAULT_VALID_FROM, day(2020, 12, 31)),
            (new_rel, day(2021, 1, 1), DEFAULT_VALID_TO)
        ]
    );
    // The same dialog sent twice is stale now: a fresh conflict, nothing applied.
    match admin.resolve_role_conflict(&resolve).await {
        Err(ClientError::RoleConflict { message, .. }) => {
            assert!(message.contains("nothing was applied"), "{message}")
        }
        other => panic!("expected a stale conflict, got {other:?}"),
    }

    // Editing by relId, then deleting.
    let edited = admin
        .save_role_assignment(&RoleAssignmentRequest {
            rel_id: Some(new_rel),
            role: Some(Role::Approver),
            valid_from: Some("2021-01-01".into()),
            valid_to: None,
            ..request.clone()
        })
        .await
        .expect("edited");
    assert_eq!(
        edited.first_message(),
        "The assignment was successfully updated."
    );
    let deleted = admin
        .delete_role_assignment(new_rel)
        .await
        .expect("deleted");
    assert_eq!(
        deleted.first_message(),
        "The assignment was successfully deleted."
    );
    // The role API's errors come in its envelope; the client reads those too.
    match admin.delete_role_assignment(new_rel).await {
        Err(ClientError::Api {
            status: 404,
            code,
            message,
            request_id,
        }) => {
            assert_eq!(code, "not_found");
            assert_eq!(message, format!("No assignment has relId {new_rel}."));
            assert!(request_id.is_some());
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    match admin
        .save_role_assignment(&RoleAssignmentRequest {
            valid_from: Some("2021-13-01".into()),
            ..request
        })
        .await
    {
        Err(ClientError::Api {
            status: 400,
            code,
            message,
            ..
        }) => {
            assert_eq!(code, "validation");
            assert!(message.contains("validFrom"), "{message}");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

/// A token that stops working mid-session is `Unauthorized`, whichever API half answers.
async fn a_token_that_stops_working_is_unauthorized(s: &TestServer) {
    let admin = admin_client(s).await;
    let admin_id = admin.me().await.expect("me").user.id;
    let keys = TokenKeys::new(JWT_SECRET.as_bytes(), Duration::from_secs(3600));
    let now = Utc::now().timestamp();

    let expired = keys
        .issue_with_times(admin_id, now - 7200, now - 3600)
        .expect("a token");
    let mut client = admin.clone().with_token(expired);
    for result in [
        client.vehicles().await.map(|_| ()),
        client.organizations().await.map(|_| ()),
        // The role API answers in its envelope.
        client.role_assignments(None, None).await.map(|_| ()),
        client
            .return_assignment(1, &Default::default())
            .await
            .map(|_| ()),
    ] {
        match result {
            Err(error @ ClientError::Unauthorized { .. }) => {
                assert_eq!(
                    error.user_message(),
                    "The token is invalid or has expired; sign in again."
                );
                assert_eq!(error.status(), Some(401));
                assert!(!error.is_retryable());
            }
            other => panic!("expected Unauthorized, got {other:?}"),
        }
    }

    // Signed correctly, but for a user that no longer exists.
    let ghost = keys
        .issue_with_times(999_999, now, now + 3600)
        .expect("a token");
    client.set_token(ghost);
    assert!(matches!(
        client.me().await,
        Err(ClientError::Unauthorized { .. })
    ));
    // Signed with another secret.
    let forged = TokenKeys::new(
        b"another-secret-another-secret-0123",
        Duration::from_secs(60),
    )
    .issue_with_times(admin_id, now, now + 3600)
    .expect("a token");
    client.set_token(forged);
    assert!(matches!(
        client.dashboard().await,
        Err(ClientError::Unauthorized { .. })
    ));
    // No token at all.
    client.clear_token();
    assert!(matches!(
        client.user_roles(admin_id).await,
        Err(ClientError::Unauthorized { .. })
    ));
    // A token that cannot be a header value never leaves the client.
    client.set_token("broken\ntoken");
    assert!(matches!(
        client.dashboard().await,
        Err(ClientError::Unauthorized { .. })
    ));

    // After signing in again, the same client works.
    let login = client
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect("signs in");
    client.set_token(login.token);
    client.vehicles().await.expect("works again");

    // A wrong password is Unauthorized too, with the server's sentence.
    match client.login(ADMIN_EMAIL, "not-the-password").await {
        Err(ClientError::Unauthorized { message }) => assert!(!message.is_empty()),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

/// Other 4xx: the server's code and message, and its request id.
async fn errors_carry_the_servers_code_and_message(s: &TestServer) {
    let admin = admin_client(s).await;
    match admin.vehicle(999_999).await {
        Err(ClientError::Api {
            status,
            code,
            message,
            request_id,
        }) => {
            assert_eq!((status, code.as_str()), (404, "not_found"));
            assert!(!message.is_empty());
            assert!(request_id.is_some_and(|id| !id.is_empty()));
        }
        other => panic!("expected a 404, got {other:?}"),
    }

    // The 400's message is the one the server wrote.
    let bad = NewVehicle {
        year: Some(12),
        ..new_vehicle("Van", "V 1")
    };
    let raw = s
        .post(
            "/api/admin/vehicles",
            serde_json::to_value(&bad).expect("json"),
        )
        .await;
    let server_message = raw.body["message"].as_str().expect("a message").to_string();
    match admin.create_vehicle(&bad).await {
        Err(error @ ClientError::Api { .. }) => {
            assert_eq!(error.user_message(), server_message);
            assert!(matches!(
                &error,
                ClientError::Api { status: 400, code, .. } if code == "validation"
            ));
            assert!(!error.is_retryable());
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    match admin
        .assignments(None, Some(0), None)
        .await
        .expect_err("limit 0")
    {
        ClientError::Api {
            status: 400,
            message,
            ..
        } => assert!(message.contains("limit"), "{message}"),
        other => panic!("expected a 400, got {other:?}"),
    }

    // Taken plate and e-mail: plain conflicts.
    admin
        .create_vehicle(&new_vehicle("Van", "V 1"))
        .await
        .expect("created");
    assert!(matches!(
        admin.create_vehicle(&new_vehicle("Other", "v-1")).await,
        Err(ClientError::Conflict { .. })
    ));
    admin
        .create_user(&new_technician("Ana", "ana@depot.example"))
        .await
        .expect("created");
    assert!(matches!(
        admin
            .create_user(&new_technician("Ana 2", "ana@depot.example"))
            .await,
        Err(ClientError::Conflict { .. })
    ));

    // A technician is signed in but not allowed: 403, not a sign-in dialog.
    let as_ana = signed_in(s, "ana@depot.example", "password-123").await;
    match as_ana.vehicles().await {
        Err(ClientError::Api {
            status: 403,
            code,
            message,
            ..
        }) => {
            assert_eq!(code, "forbidden");
            assert_eq!(message, "This needs an admin or viewer account.");
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    match admin.user_roles(999_999).await {
        Err(ClientError::Api {
            status: 404, code, ..
        }) => assert_eq!(code, "not_found"),
        other => panic!("expected a 404, got {other:?}"),
    }
}

/// What another backend may do: a 409 for "already returned", an HTML 502 from a proxy,
/// a body of the wrong shape, a redirect. The real server does none of these, so a small
/// front (`quirky_backend`) answers those requests itself and forwards everything else.
async fn another_backends_answers(s: &TestServer) {
    let admin = admin_client(s).await;
    let front = quirky_backend::start(&s.url).await;
    let client = ApiClient::new(&front.url, TIMEOUT)
        .expect("a client")
        .with_token(admin.token().expect("signed in").to_string());
    // Forwarded requests work as usual.
    let vehicle = client
        .create_vehicle(&new_vehicle("Van", "V 1"))
        .await
        .expect("created through the front")
        .vehicle;
    // (GET /api/admin/users is one of the front's odd answers, so this goes direct.)
    let technician = admin
        .create_user(&new_technician("Ana", "ana@depot.example"))
        .await
        .expect("created")
        .user;
    let active = client
        .create_assignment(&assign(&vehicle, &technician))
        .await
        .expect("assigned")
        .assignment;

    // A 409 while the record is still active is a real conflict.
    match client
        .return_assignment(active.id, &Default::default())
        .await
    {
        Err(ClientError::Conflict { message }) => assert!(message.contains("already returned")),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Once the record says returned, the 409 means "already returned": a success.
    let returned = admin
        .return_assignment(active.id, &Default::default())
        .await
        .expect("returned")
        .assignment;
    let again = client
        .return_assignment(active.id, &Default::default())
        .await
        .expect("409 read as already returned")
        .assignment;
    assert_eq!(again, returned);
    // A 409 for an assignment that does not exist: the 404 of the lookup.
    assert!(matches!(
        client.return_assignment(999_999, &Default::default()).await,
        Err(ClientError::Api { status: 404, .. })
    ));

    // An HTML error page from a proxy: the status text, and worth retrying.
    match client.technicians().await {
        Err(error @ ClientError::Api { .. }) => {
            assert!(error.is_retryable());
            assert_eq!(error.user_message(), "The server answered 502 Bad Gateway.");
            assert!(matches!(
                &error,
                ClientError::Api { status: 502, code, request_id: None, .. } if code == "http_502"
            ));
        }
        other => panic!("expected a 502, got {other:?}"),
    }
    // 200 with a body that is not the contract's.
    match client.dashboard().await {
        Err(ClientError::InvalidResponse { message }) => {
            assert!(message.contains("GET /api/admin/dashboard"), "{message}");
            assert!(message.contains("summary"), "{message}");
        }
        other => panic!("expected an invalid response, got {other:?}"),
    }
    match client.users().await {
        Err(ClientError::InvalidResponse { message }) => {
            assert!(message.contains("users"), "{message}")
        }
        other => panic!("expected an invalid response, got {other:?}"),
    }
    // A redirect is not followed: it would turn a POST into a GET.
    match client.me().await {
        Err(ClientError::InvalidResponse { message }) => {
            assert!(message.contains("https://depot.example"), "{message}")
        }
        other => panic!("expected an invalid response, got {other:?}"),
    }
    front.stop();
}

/// The test's stand-in for another backend, in front of the real server.
mod quirky_backend {
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use axum::routing::{get, patch};
    use axum::{Json, Router};
    use serde_json::json;
    use tokio::task::JoinHandle;

    pub struct Front {
        pub url: String,
        task: JoinHandle<()>,
    }

    impl Front {
        pub fn stop(self) {
            self.task.abort();
        }
    }

    #[derive(Clone)]
    struct Upstream {
        http: reqwest::Client,
        url: String,
    }

    pub async fn start(upstream: &str) -> Front {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let app = Router::new()
            .route(
                "/api/admin/assignments/{id}/return",
                patch(|| async {
                    let body = json!({"error": "conflict", "message": "This assignment is already returned."});
                    (StatusCode::CONFLICT, Json(body))
                }),
            )
            .route(
                "/api/admin/technicians",
                get(|| async {
                    (
                        StatusCode::BAD_GATEWAY,
                        [(header::CONTENT_TYPE, "text/html")],
                        "<html><body><h1>502 Bad Gateway</h1></body></html>",
                    )
                }),
            )
            .route(
                "/api/admin/dashboard",
                get(|| async { Json(json!({"stats": {"vehicles": 3}})) }),
            )
            .route(
                "/api/admin/users",
                get(|| async { Json(json!({"users": [{"id": "one"}]})) }),
            )
            .route(
                "/api/auth/me",
                get(|| async {
                    (
                        StatusCode::PERMANENT_REDIRECT,
                        [(header::LOCATION, "https://depot.example/api/auth/me")],
                    )
                }),
            )
            .fallback(forward)
            .with_state(Upstream {
                http: reqwest::Client::new(),
                url: upstream.to_string(),
            });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Front { url, task }
    }

    async fn forward(
        State(upstream): State<Upstream>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = upstream
            .http
            .request(method, format!("{}{path}", upstream.url))
            .body(body);
        for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
            if let Some(value) = headers.get(&name) {
                request = request.header(name, value.clone());
            }
        }
        let Ok(answer) = request.send().await else {
            return StatusCode::BAD_GATEWAY.into_response();
        };
        let status = answer.status();
        let mut copied = HeaderMap::new();
        for name in [
            header::CONTENT_TYPE,
            header::HeaderName::from_static("x-request-id"),
        ] {
            if let Some(value) = answer.headers().get(&name) {
                copied.insert(name, value.clone());
            }
        }
        let body = answer.bytes().await.unwrap_or_default();
        (status, copied, body).into_response()
    }
}

on_both_databases!(
    fleet_methods_round_trip,
    assignment_conflicts_are_typed,
    role_methods_and_conflict_resolution,
    a_token_that_stops_working_is_unauthorized,
    errors_carry_the_servers_code_and_message,
    another_backends_answers,
);

// ---- no server needed ----

#[tokio::test]
async fn a_closed_port_is_offline() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let client = ApiClient::new(&format!("http://127.0.0.1:{port}"), TIMEOUT)
        .expect("a client")
        .with_token("token");
    for result in [
        client.vehicles().await.map(|_| ()),
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.map(|_| ()),
        client.delete_vehicle(1).await,
    ] {
        match result {
            Err(error @ ClientError::Offline { .. }) => {
                assert!(error.is_retryable());
                assert_eq!(error.status(), None);
                let message = error.user_message();
                assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
            }
            other => panic!("expected Offline, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    // Accepts and keeps every connection open, reading nothing and answering nothing.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client =
        ApiClient::new(&format!("http://{address}"), Duration::from_millis(300)).expect("client");
    let started = Instant::now();
    let error = client.dashboard().await.expect_err("no answer");
    let waited = started.elapsed();
    assert!(matches!(error, ClientError::Timeout), "{error:?}");
    assert!(error.is_retryable());
    assert!(!error.user_message().is_empty());
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    silent.abort();
}

#[test]
fn the_token_stays_out_of_debug_output() {
    let client = ApiClient::new("http://127.0.0.1:8080", TIMEOUT)
        .expect("a client")
        .with_token("secret-token-value");
    let shown = format!("{client:?}");
    assert!(!shown.contains("secret-token-value"), "{shown}");
    assert!(shown.contains("http://127.0.0.1:8080"), "{shown}");
}

#[test]
fn bad_server_addresses_are_refused_up_front() {
    for bad in ["", "depot.example:8080", "ftp://depot.example", "http://"] {
        match ApiClient::new(bad, TIMEOUT) {
            Err(ClientError::Config { message }) => assert!(!message.is_empty()),
            other => panic!("{bad:?}: expected Config, got {other:?}"),
        }
    }
}
