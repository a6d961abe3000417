//! API.md §8, organization administrators: the user search with its visibility rule and
//! ranking, and role assignments listed with their sub-organizations. Both databases.

mod common;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "password-123";

async fn organization(s: &TestServer, name: &str, parent: Option<&str>) -> String {
    let reply = s
        .post(
            "/api/organizations",
            json!({"name": name, "parentId": parent}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["organization"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn give(s: &TestServer, user: i64, org: &str, roles: &[&str], from: &str, to: &str) {
    let reply = s
        .post(
            "/api/users/assignment",
            json!({"roles": roles, "userId": user.to_string(), "organizationId": org,
                   "validFrom": from, "validTo": to}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// The names a search finds, in order, or the status and error code when it fails.
async fn find(s: &TestServer, token: &str, query: &str) -> Result<Vec<String>, (u16, String)> {
    let path = format!("/api/users?{query}");
    let reply = s.call(Method::GET, &path, Some(token), None).await;
    if reply.status != StatusCode::OK {
        return Err((reply.status.as_u16(), reply.error_code().to_string()));
    }
    let users = reply.body["users"]
        .as_array()
        .unwrap_or_else(|| panic!("GET {path}: {}", reply.text));
    for user in users {
        assert_eq!(
            user.as_object().map(|o| o.len()),
            Some(3),
            "id, name, email only: {user}"
        );
    }
    Ok(users
        .iter()
        .map(|user| user["name"].as_str().expect("a name").to_string())
        .collect())
}

fn q(text: &str) -> String {
    format!(
        "query={}",
        url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
    )
}

struct Depots {
    north: String,
    north_workshop: String,
    south: String,
    /// Administers Depot North, not a fleet admin.
    nadia: String,
    /// Administered Depot South until 2023: administers nothing now.
    former: String,
    /// A technician without any role.
    tom: String,
}

/// Region → Depot North (→ Workshop North), Depot South; people in each.
async fn depots(s: &TestServer) -> Depots {
    let region = organization(s, "Region", None).await;
    let north = organization(s, "Depot North", Some(&region)).await;
    let north_workshop = organization(s, "Workshop North", Some(&north)).await;
    let south = organization(s, "Depot South", Some(&region)).await;

    let nadia = s
        .create_user("Nadia Brandt", "nadia@depot.example", "technician")
        .await;
    give(s, nadia, &north, &["administrator"], "2024-01-01", "").await;
    let former = s
        .create_user("Fritz Former", "fritz@depot.example", "technician")
        .await;
    give(
        s,
        former,
        &south,
        &["administrator"],
        "2020-01-01",
        "2023-12-31",
    )
    .await;
    s.create_user("Tom Tech", "tom@depot.example", "technician")
        .await;

    let elodie = s
        .create_user("Élodie Müller", "elodie@depot.example", "technician")
        .await;
    give(s, elodie, &north_workshop, &["employee"], "", "").await;
    let sven = s
        .create_user("Sven Nordqvist", "sven@depot.example", "technician")
        .await;
    give(s, sven, &north, &["employee"], "", "").await;
    // Held a role in North once: still one of North's people.
    let paul = s
        .create_user("Paul Past", "paul@depot.example", "technician")
        .await;
    give(s, paul, &north, &["employee"], "2019-01-01", "2019-12-31").await;
    let sara = s
        .create_user("Sara Süd", "sara.sued@depot.example", "technician")
        .await;
    give(s, sara, &south, &["employee", "manager"], "", "").await;
    Depots {
        north,
        north_workshop,
        south,
        nadia: s.login("nadia@depot.example", PASSWORD).await,
        former: s.login("fritz@depot.example", PASSWORD).await,
        tom: s.login("tom@depot.example", PASSWORD).await,
    }
}

async fn an_administrator_finds_the_people_of_their_organizations(s: &TestServer) {
    let d = depots(s).await;
    // North's people and its workshop's, whatever the case and accents of the query.
    assert_eq!(
        find(s, &d.nadia, &q("ELODIE")).await,
        Ok(vec!["Élodie Müller".into()])
    );
    assert_eq!(
        find(s, &d.nadia, &q("müll")).await,
        Ok(vec!["Élodie Müller".into()])
    );
    assert_eq!(
        find(s, &d.nadia, &q("muller")).await,
        Ok(vec!["Élodie Müller".into()])
    );
    assert_eq!(
        find(s, &d.nadia, &q("nordq")).await,
        Ok(vec!["Sven Nordqvist".into()])
    );
    assert_eq!(
        find(s, &d.nadia, &q("paul")).await,
        Ok(vec!["Paul Past".into()])
    );
    // Herself, by e-mail substring.
    assert_eq!(
        find(s, &d.nadia, &q("nadia@")).await,
        Ok(vec!["Nadia Brandt".into()])
    );
    // Not South's people, nor people without roles, by name or part of an e-mail…
    assert_eq!(find(s, &d.nadia, &q("sara")).await, Ok(vec![]));
    assert_eq!(find(s, &d.nadia, &q("sued@depot")).await, Ok(vec![]));
    assert_eq!(find(s, &d.nadia, &q("tom")).await, Ok(vec![]));
    // …but anyone by the exact e-mail, in any case.
    assert_eq!(
        find(s, &d.nadia, &q("Sara.Sued@depot.example")).await,
        Ok(vec!["Sara Süd".into()])
    );
    assert_eq!(
        find(s, &d.nadia, &q("tom@depot.example")).await,
        Ok(vec!["Tom Tech".into()])
    );
    // "depot" is in every e-mail: North's people only, alphabetical within a rank.
    assert_eq!(
        find(s, &d.nadia, &format!("{}&limit=100", q("depot"))).await,
        Ok(vec![
            "Élodie Müller".into(),
            "Nadia Brandt".into(),
            "Paul Past".into(),
            "Sven Nordqvist".into()
        ])
    );

    // A fleet admin finds everyone.
    assert_eq!(
        find(s, &s.admin_token, &q("sara")).await,
        Ok(vec!["Sara Süd".into()])
    );
    assert_eq!(
        find(s, &s.admin_token, &q("tom t")).await,
        Ok(vec!["Tom Tech".into()])
    );

    // Nobody else may search: not a technician, not a former administrator.
    for token in [&d.tom, &d.former] {
        assert_eq!(
            find(s, token, &q("tom@depot.example")).await,
            Err((403, "forbidden".into()))
        );
    }

    // Writes follow the same rule: North's workshop yes, South no.
    let sven = find(s, &d.nadia, &q("sven")).await.expect("found");
    assert_eq!(sven, vec!["Sven Nordqvist".to_string()]);
    let reply = s
        .call(
            Method::GET,
            &format!("/api/users?{}", q("sven")),
            Some(&d.nadia),
            None,
        )
        .await;
    let sven_id = reply.body["users"][0]["id"].as_i64().expect("id");
    for (org, status) in [
        (&d.north_workshop, StatusCode::OK),
        (&d.south, StatusCode::FORBIDDEN),
    ] {
        let reply = s
            .call(
                Method::POST,
                "/api/users/assignment",
                Some(&d.nadia),
                Some(json!({"role": "approver", "userId": sven_id.to_string(), "organizationId": org})),
            )
            .await;
        assert_eq!(reply.status, status, "{}", reply.text);
    }
    let _ = &d.north;
}

async fn results_are_ranked_and_limited(s: &TestServer) {
    for (name, email) in [
        ("Robert Sternberg", "robert@depot.example"),
        ("Anna Berg", "anna@depot.example"),
        ("Zed Zulu", "berg@depot.example"),
        ("Bergmann Klaus", "klaus@depot.example"),
        ("Ørjan Løvberg", "orjan@depot.example"),
    ] {
        s.create_user(name, email, "technician").await;
    }
    // Name prefix, then a word's prefix, then anywhere (name or e-mail), alphabetically.
    assert_eq!(
        find(s, &s.admin_token, &q("berg")).await,
        Ok(vec![
            "Bergmann Klaus".into(),
            "Anna Berg".into(),
            "Ørjan Løvberg".into(),
            "Robert Sternberg".into(),
            "Zed Zulu".into(),
        ])
    );
    // The exact e-mail before everything.
    assert_eq!(
        find(s, &s.admin_token, &q("BERG@depot.example")).await,
        Ok(vec!["Zed Zulu".into()])
    );
    assert_eq!(
        find(s, &s.admin_token, &format!("{}&limit=2", q("berg"))).await,
        Ok(vec!["Bergmann Klaus".into(), "Anna Berg".into()])
    );
    assert_eq!(
        find(s, &s.admin_token, &q("lovb")).await,
        Ok(vec!["Ørjan Løvberg".into()])
    );
    // LIKE's wildcards are plain characters here.
    assert_eq!(find(s, &s.admin_token, &q("b%g")).await, Ok(vec![]));
    assert_eq!(find(s, &s.admin_token, &q("b__g")).await, Ok(vec![]));
    // Bad queries and limits.
    for (query, status) in [
        ("".to_string(), 400),
        ("query=".to_string(), 400),
        (q("b"), 400),
        (q("  b  "), 400),
        (format!("{}&limit=0", q("berg")), 400),
        (format!("{}&limit=101", q("berg")), 400),
        (format!("{}&limit=x", q("berg")), 400),
        (format!("{}&page=2", q("berg")), 400),
    ] {
        assert_eq!(
            find(s, &s.admin_token, &query)
                .await
                .map_err(|(status, _)| status),
            Err(status),
            "{query}"
        );
    }
}

async fn assignments_with_descendants(s: &TestServer) {
    let d = depots(s).await;
    // Sorted here: the server orders by name in the database's collation, which places
    // "Élodie" differently on SQLite and PostgreSQL.
    let rows = |reply: &common::Reply| -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = reply.body["assignments"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", reply.text))
            .iter()
            .map(|row: &Value| {
                (
                    row["userName"].as_str().expect("userName").to_string(),
                    row["organizationName"].as_str().expect("name").to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let only_north = s
        .get(&format!(
            "/api/users/assignments?organizationId={}",
            d.north
        ))
        .await;
    assert_eq!(only_north.status, StatusCode::OK, "{}", only_north.text);
    assert_eq!(
        rows(&only_north),
        [
            ("Nadia Brandt", "Depot North"),
            ("Paul Past", "Depot North"),
            ("Sven Nordqvist", "Depot North")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let below = format!(
        "/api/users/assignments?organizationId={}&includeDescendants=true",
        d.north
    );
    // Any signed-in user may read roles; here the administrator of North.
    let reply = s.call(Method::GET, &below, Some(&d.nadia), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        rows(&reply),
        [
            ("Nadia Brandt", "Depot North"),
            ("Paul Past", "Depot North"),
            ("Sven Nordqvist", "Depot North"),
            ("Élodie Müller", "Workshop North"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let region_id = s.get("/api/organizations").await.body["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .find(|o| o["name"] == "Region")
        .and_then(|o| o["id"].as_str())
        .expect("Region")
        .to_string();
    let everything = s
        .get(&format!(
            "/api/users/assignments?organizationId={region_id}&includeDescendants=true"
        ))
        .await;
    assert_eq!(rows(&everything).len(), 6, "{}", everything.text);
    let false_is_plain = s
        .get(&format!(
            "/api/users/assignments?organizationId={}&includeDescendants=false",
            d.north
        ))
        .await;
    assert_eq!(rows(&false_is_plain), rows(&only_north));
    // With a user too.
    let sven_only = s
        .get(&format!(
            "/api/users/assignments?organizationId={region_id}&includeDescendants=true&userId={}",
            s.get("/api/users?query=sven").await.body["users"][0]["id"]
        ))
        .await;
    assert_eq!(
        rows(&sven_only),
        vec![("Sven Nordqvist".to_string(), "Depot North".to_string())]
    );
    let _ = (&d.north_workshop, &d.south, &d.former, &d.tom);
}

on_both_databases!(
    an_administrator_finds_the_people_of_their_organizations,
    results_are_ranked_and_limited,
    assignments_with_descendants
);
