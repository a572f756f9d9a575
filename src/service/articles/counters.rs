//! Views and shares: counted in memory, once per client, written in batches.

use super::*;

/// The id of an article everyone may see, for counters; 404 otherwise.
pub(super) fn live_id(c: &mut DbConn, slug: &str) -> AppResult<i64> {
    match db::articles::find_by_slug(c, slug)? {
        Some(r) if is_live(&r, now()) => Ok(r.id),
        _ => Err(AppError::not_found("article")),
    }
}

/// `POST /articles/{slug}/views`: counted in memory, written with the next batch.
/// A client's views of one article count once per `count_once` (10 minutes): the rest are
/// answered alike and not counted.
pub async fn record_view(state: &AppState, caller: &Caller, slug: &str) -> AppResult<()> {
    let slug = slug.to_owned();
    let id = state.db.read(move |c| live_id(c, &slug)).await?;
    if state.abuse.first_count(caller, id, Counted::View) {
        state.counters.add_view(id);
    }
    Ok(())
}

/// `POST /articles/{slug}/shares`: counted in memory, written with the next batch.
/// Like views, once per client, article and network per `count_once`.
pub async fn record_share(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    network: &str,
) -> AppResult<()> {
    let network: ShareNetwork = network
        .parse()
        .map_err(|e: String| FieldErrors::one("network", e))?;
    let slug = slug.to_owned();
    let id = state.db.read(move |c| live_id(c, &slug)).await?;
    if state.abuse.first_count(caller, id, Counted::Share(network)) {
        state.counters.add_share(id, network);
    }
    Ok(())
}
