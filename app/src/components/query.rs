//! Reading and writing page state in the URL query string.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// Builds `path?k=v&…`, leaving out empty values.
pub fn href_with(path: &str, pairs: &[(&str, String)]) -> String {
    let map: ParamsMap =
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    format!("{path}{}", map.to_query_string())
}

/// The current query as `(key, value)` pairs, with `changes` applied (an empty value removes the key).
pub fn current_with(query: &ParamsMap, keys: &[&str], changes: &[(&str, String)]) -> Vec<(String, String)> {
    keys.iter()
        .map(|k| {
            let v = changes
                .iter()
                .find(|(ck, _)| ck == k)
                .map_or_else(|| query.get(k).unwrap_or_default(), |(_, v)| v.clone());
            ((*k).to_owned(), v)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

pub fn pairs_href(path: &str, pairs: &[(String, String)]) -> String {
    let map: ParamsMap = pairs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    format!("{path}{}", map.to_query_string())
}

/// One query parameter as a memo (empty string when absent).
pub fn query_param(name: &'static str) -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| q.get(name).unwrap_or_default()))
}

/// `page` from the query, 1-based.
pub fn parse_page(s: &str) -> u32 {
    s.parse::<u32>().ok().filter(|p| *p > 0).unwrap_or(1)
}
