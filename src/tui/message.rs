//! What flows through the loop: [`Event`]s in (keys, ticks, answers), [`Command`]s out
//! (requests the runtime runs), and each [`Response`] carried back as an event.

use crossterm::event::KeyEvent;

use crate::api::access::UserSummary;
use crate::api::events::ActivityPage;
use crate::api::roles::{
    Organization, ResolveRequest, RoleAssignmentRequest, RoleAssignmentRow, UserRoles,
};
use crate::api::{
    Assignment, AssignmentStatus, AssignmentsEnvelope, DashboardSummary, NewAssignment, NewUser,
    NewVehicle, TechnicianListItem, User, UserPatch, Vehicle, VehicleListItem, VehiclePatch,
};
use crate::client::{ClientError, StreamItem};

/// Rows fetched per page of assignment history.
pub const PAGE_SIZE: i64 = 200;

/// Users a search of the role form's picker asks for.
pub const SEARCH_LIMIT: i64 = 50;

/// Whose events a history asks the activity log for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Vehicle(i64),
    Technician(i64),
}

/// What one request is for; answers of a superseded generation are dropped.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    LoadDashboard,
    LoadVehicles,
    LoadTechnicians,
    LoadAssignments {
        generation: u64,
        status: Option<AssignmentStatus>,
        before: Option<i64>,
    },
    CreateAssignment(NewAssignment),
    /// The assignment and the readings taken at its return.
    ReturnAssignment(i64, crate::api::ReturnReadings),
    CreateVehicle(NewVehicle),
    UpdateVehicle(i64, VehiclePatch),
    /// `o`: the vehicle's id, its name when asked, and the status change.
    SetVehicleStatus(i64, String, VehiclePatch),
    /// The vehicle's id and its name when asked, for the answer to name it: a live event can
    /// take the row out of the list before the answer comes.
    DeleteVehicle(i64, String),
    CreateTechnician(NewUser),
    UpdateTechnician(i64, UserPatch),
    LoadOrganizations,
    /// The signed-in user's own role assignments: where they may assign.
    LoadMyRoles {
        user_id: i64,
    },
    /// Users whose name or e-mail matches `query` (the role form's picker).
    SearchUsers {
        request: u64,
        query: String,
    },
    /// One user's roles in every organization, grouped by role (the user view).
    LoadUserRoles {
        user_id: i64,
    },
    /// One organization's role assignments (with those below it when `below`); `request`
    /// tells a newer load from an older one.
    LoadRoleAssignments {
        request: u64,
        organization_id: String,
        below: bool,
    },
    SaveRoleAssignment(RoleAssignmentRequest),
    ResolveRoleConflict(ResolveRequest),
    DeleteRoleAssignment(i64),
    SignIn {
        email: String,
        password: String,
    },
    /// Whose the kept token is (`GET /api/auth/me`): the first request when one was kept.
    CheckToken,
    /// A page of the activity log: the Activity tab's (`subject` None) or a history's.
    LoadActivity {
        generation: u64,
        before: Option<i64>,
        subject: Option<Subject>,
    },
    Quit,
}

impl Command {
    /// Reads may be repeated behind the user's back; actions may not (except return).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
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
                | Command::CheckToken
                | Command::ReturnAssignment(..)
        )
    }

    /// An action the user started (not a read, not quitting): the footer says it is on its
    /// way until it answers.
    pub fn is_action(&self) -> bool {
        matches!(
            self,
            Command::CreateAssignment(_)
                | Command::ReturnAssignment(..)
                | Command::CreateVehicle(_)
                | Command::UpdateVehicle(..)
                | Command::DeleteVehicle(..)
                | Command::SetVehicleStatus(..)
                | Command::CreateTechnician(_)
                | Command::UpdateTechnician(..)
                | Command::SaveRoleAssignment(_)
                | Command::ResolveRoleConflict(_)
                | Command::DeleteRoleAssignment(_)
                | Command::SignIn { .. }
        )
    }

    /// A read of a list: changes from the stream that come while it is on its way are
    /// applied again on top of its answer.
    pub fn is_load(&self) -> bool {
        matches!(
            self,
            Command::LoadVehicles
                | Command::LoadTechnicians
                | Command::LoadAssignments { .. }
                | Command::LoadOrganizations
                | Command::LoadMyRoles { .. }
                | Command::LoadRoleAssignments { .. }
                | Command::LoadActivity { .. }
        )
    }
}

/// What an action did, as the server answered it.
#[derive(Clone, Debug, PartialEq)]
pub enum Done {
    Assigned(Box<Assignment>),
    Returned(Box<Assignment>),
    VehicleCreated(Box<Vehicle>),
    VehicleSaved(Box<Vehicle>),
    /// A vehicle's service status set (`o`).
    VehicleStatus(Box<Vehicle>),
    /// The deleted vehicle's name.
    VehicleDeleted(String),
    TechnicianCreated(User),
    TechnicianSaved(User),
    /// A change to role assignments: the server's sentence about it, and the assignment
    /// it created or edited.
    Roles {
        message: String,
        rel_id: Option<i64>,
    },
    /// Nothing was sent (quitting).
    Nothing,
}

/// The answer to a [`Command`], carried back as an event.
#[derive(Debug)]
pub enum Response {
    Dashboard(Result<DashboardSummary, ClientError>),
    Vehicles(Result<Vec<VehicleListItem>, ClientError>),
    Technicians(Result<Vec<TechnicianListItem>, ClientError>),
    Assignments {
        generation: u64,
        append: bool,
        result: Result<AssignmentsEnvelope, ClientError>,
    },
    Organizations(Result<Vec<Organization>, ClientError>),
    MyRoles(Result<Vec<RoleAssignmentRow>, ClientError>),
    UsersFound {
        request: u64,
        query: String,
        result: Result<Vec<UserSummary>, ClientError>,
    },
    UserRoles {
        user_id: i64,
        result: Result<UserRoles, ClientError>,
    },
    RoleAssignments {
        request: u64,
        organization_id: String,
        below: bool,
        result: Result<Vec<RoleAssignmentRow>, ClientError>,
    },
    /// Any action.
    Action {
        command: Command,
        result: Result<Done, ClientError>,
    },
    SignedIn(Result<(String, User), ClientError>),
    /// Whose the kept token is.
    TokenChecked(Result<User, ClientError>),
    Activity {
        generation: u64,
        subject: Option<Subject>,
        append: bool,
        result: Result<ActivityPage, ClientError>,
    },
}

impl Response {
    /// Whether it answers a [`Command::is_load`] command.
    pub fn is_load(&self) -> bool {
        matches!(
            self,
            Response::Vehicles(_)
                | Response::Technicians(_)
                | Response::Assignments { .. }
                | Response::Organizations(_)
                | Response::MyRoles(_)
                | Response::RoleAssignments { .. }
                | Response::Activity { .. }
        )
    }
}

/// What the live stream of changes says.
#[derive(Debug)]
pub enum StreamUpdate {
    /// The stream is up; `resumed` when it carries on from an event seen before (otherwise
    /// what changed before it came up must be loaded again).
    Connected {
        resumed: bool,
    },
    Item(StreamItem),
    /// The stream cannot be had now; it is tried again with backoff.
    Failed(ClientError),
}

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Once a second.
    Tick,
    /// The moment the app asked to be woken at ([`crate::tui::App::next_wake`]).
    Wake,
    Response(Box<Response>),
    Stream(Box<StreamUpdate>),
}
