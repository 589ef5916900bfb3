//! Keyset paging of group listings: masks, backend filters and limits, pages full but the
//! last, and cursors that are refused when they are not ours.

use domain::{BackendId, GroupMask, GroupName, SiteId, UserGroup};
use geodb::{GeoDb, GeoDbError, GroupFilter, PageRequest, UserFilter};

use super::{TestDb, add_group, add_online_backend, add_site};

/// Every page of a group listing, checking that all pages but the last are full.
async fn all_pages(db: &dyn GeoDb, site: SiteId, filter: &GroupFilter, limit: u32) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = db.list_groups(site, filter, &request).await.unwrap();
        let names: Vec<String> = page.items.iter().map(|g| g.name.to_string()).collect();
        match page.next_cursor {
            Some(cursor) => {
                assert_eq!(names.len(), limit as usize, "a page before the last is not full: {names:?}");
                pages.push(names);
                request.cursor = Some(cursor);
            }
            None => {
                assert!(names.len() <= limit as usize);
                pages.push(names);
                return pages;
            }
        }
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

pub async fn paging_with_mask_backend_and_limit(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let odd = add_online_backend(db, site.id, "odd.example").await;
    let even = add_online_backend(db, site.id, "even.example").await;
    for n in 1..=25u32 {
        let backend = if n % 2 == 1 { odd.id } else { even.id };
        assert!(db.insert_group(&UserGroup::new(site.id, GroupName::default_n(n), backend)).await.unwrap());
    }
    for name in ["custom-1", "zeta", "default-"] {
        add_group(db, site.id, name, odd.id).await;
    }
    // Another site's groups never show.
    let other_site = add_site(db, "two").await;
    add_group(db, other_site.id, "default-1", BackendId::random()).await;

    let mut everything: Vec<String> = (1..=25).map(|n| format!("default-{n}")).collect();
    everything.extend(["custom-1", "zeta", "default-"].map(String::from));
    let everything = sorted(everything);
    for limit in [1, 4, 28, 100] {
        let pages = all_pages(db, site.id, &GroupFilter::default(), limit).await;
        assert_eq!(pages.concat(), everything, "limit {limit}");
    }
    assert_eq!(all_pages(db, site.id, &GroupFilter::default(), 28).await.len(), 1);

    let mask = |m: &str| GroupFilter { mask: Some(GroupMask::parse(m).unwrap()), backend: None };
    let tens: Vec<String> =
        sorted(std::iter::once("default-1".to_owned()).chain((10..=19).map(|n| format!("default-{n}"))).collect());
    let pages = all_pages(&*t.other, site.id, &mask("default-1*"), 4).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 3]);
    assert_eq!(pages.concat(), tens);
    let singles = sorted((1..=9).map(|n| format!("default-{n}")).collect());
    assert_eq!(all_pages(db, site.id, &mask("default-?"), 2).await.concat(), singles);
    assert_eq!(all_pages(db, site.id, &mask("*-1"), 1).await.concat(), vec!["custom-1", "default-1"]);
    assert_eq!(all_pages(db, site.id, &mask("zeta"), 10).await.concat(), vec!["zeta"]);
    assert_eq!(all_pages(db, site.id, &mask("nothing*"), 10).await, vec![Vec::<String>::new()]);

    let on_even = GroupFilter { mask: None, backend: Some(even.id) };
    let evens = sorted((1..=25).filter(|n| n % 2 == 0).map(|n| format!("default-{n}")).collect());
    assert_eq!(all_pages(db, site.id, &on_even, 5).await.concat(), evens);
    let both = GroupFilter { mask: Some(GroupMask::parse("default-2*").unwrap()), backend: Some(odd.id) };
    assert_eq!(all_pages(db, site.id, &both, 2).await.concat(), vec!["default-21", "default-23", "default-25"]);
    let nowhere = GroupFilter { mask: None, backend: Some(BackendId::random()) };
    assert_eq!(all_pages(db, site.id, &nowhere, 2).await, vec![Vec::<String>::new()]);
}

pub async fn pages_are_exact_when_the_count_divides_the_limit(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b = add_online_backend(db, site.id, "b.example").await;
    for n in 1..=8 {
        add_group(db, site.id, &format!("g{n}"), b.id).await;
    }
    let pages = all_pages(db, site.id, &GroupFilter::default(), 4).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4], "no empty trailing page");
    let empty_site = add_site(db, "empty").await;
    let page = db.list_groups(empty_site.id, &GroupFilter::default(), &PageRequest::first(10)).await.unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());
}

pub async fn invalid_cursors_are_refused(t: &TestDb) {
    let db = &*t.db;
    let site = add_site(db, "one").await;
    let b = add_online_backend(db, site.id, "b.example").await;
    for n in 1..=3 {
        add_group(db, site.id, &format!("g{n}"), b.id).await;
    }
    let garbage = PageRequest { cursor: Some("!!not a cursor!!".into()), limit: 10 };
    assert_matches!(db.list_groups(site.id, &GroupFilter::default(), &garbage).await, Err(GeoDbError::InvalidCursor));
    assert_matches!(db.list_users(site.id, &UserFilter::default(), &garbage).await, Err(GeoDbError::InvalidCursor));
    // A group cursor has one part and a user cursor two: neither is accepted for the other.
    let group_page = db.list_groups(site.id, &GroupFilter::default(), &PageRequest::first(1)).await.unwrap();
    let group_cursor = PageRequest { cursor: group_page.next_cursor.clone(), limit: 10 };
    assert!(group_cursor.cursor.is_some());
    assert_matches!(
        db.list_users(site.id, &UserFilter::default(), &group_cursor).await,
        Err(GeoDbError::InvalidCursor)
    );
    let next = db.list_groups(site.id, &GroupFilter::default(), &group_cursor).await.unwrap();
    assert_eq!(next.items.iter().map(|g| g.name.to_string()).collect::<Vec<_>>(), vec!["g2", "g3"]);
}
