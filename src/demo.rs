//! `serve --demo`: fills an empty database with a small, believable newsroom through the same
//! service functions the API uses, and prints the demo admin's credentials once.

use rand::distr::Alphanumeric;
use rand::Rng;

use crate::db;
use crate::domain::Role;
use crate::model::{AddComment, CreateArticle, CreateTag, CreateUser, ImageInput};
use crate::service::{accounts, articles, comments, tags, Access, AppState, Caller, Principal};

struct DemoArticle {
    title: &'static str,
    dateline: &'static str,
    image: &'static str,
    tags: &'static [&'static str],
    views: i64,
    paragraphs: &'static [&'static str],
}

const TAGS: &[(&str, &str)] = &[
    ("Politics", "Governments, elections and diplomacy."),
    ("Ukraine", "The war in Ukraine and the search for peace."),
    ("Economy", "Growth, jobs, inflation and trade."),
    ("Markets", "Stocks, bonds, oil and currencies."),
    ("Technology", "Companies and ideas that change how we live."),
    ("Business", "Companies, deals and the people who run them."),
    ("Energy", "Oil, gas and the power transition."),
    ("Real Estate", "Homes, offices and the cities around them."),
];

const ARTICLES: &[DemoArticle] = &[
    DemoArticle {
        title: "Trump Says He May Extend TikTok Deadline Again if No Deal by June 19",
        dateline: "Washington",
        image: "https://cdn.example.com/media/tiktok-deadline.webp",
        tags: &["politics", "technology", "business"],
        views: 60,
        paragraphs: &[
            "President Donald Trump signaled on Sunday that he is willing to extend the June 19 deadline for ByteDance to divest TikTok's U.S. operations, as efforts to finalize a deal remain stalled amid rising trade tensions with Beijing.",
            "The app, used by about 170 million Americans, has twice been granted more time. Negotiators say the structure of a sale is largely agreed, but approval from Chinese regulators remains uncertain.",
        ],
    },
    DemoArticle {
        title: "Trump Orders 100% Tariff on Foreign Films to 'Save' U.S. Movie Industry",
        dateline: "Washington",
        image: "https://cdn.example.com/media/film-tariff.webp",
        tags: &["politics", "economy", "business"],
        views: 580,
        paragraphs: &[
            "President Donald Trump has announced a 100% tariff on all foreign-made movies, claiming the U.S. film industry is \"dying a very fast death\" due to aggressive tax incentives offered by other nations.",
            "Studio executives said it was unclear how a tariff would apply to films, which are services rather than goods, and whether productions shot abroad by American companies would be covered.",
        ],
    },
    DemoArticle {
        title: "Oil Prices Face More Pressure as OPEC+ Confirms Supply Hike",
        dateline: "Dubai",
        image: "https://cdn.example.com/media/opec-supply.webp",
        tags: &["energy", "markets", "economy"],
        views: 279,
        paragraphs: &[
            "Global oil prices could fall further after OPEC+ confirmed a production increase of 411,000 barrels per day for June, mirroring last month's surprise hike and signaling a strategic shift within the alliance.",
            "Analysts said the group appeared ready to trade lower prices for market share, and to discipline members that have pumped above their quotas.",
        ],
    },
    DemoArticle {
        title: "U.S. Job Market Shows Unexpected Strength Despite Tariff Turmoil",
        dateline: "Washington",
        image: "https://cdn.example.com/media/jobs-report.webp",
        tags: &["economy"],
        views: 125,
        paragraphs: &[
            "The U.S. labor market posted stronger-than-expected job growth in April, defying a turbulent economic backdrop marked by sweeping new tariffs and growing market volatility.",
            "Employers added 177,000 jobs, according to the Labor Department, and the unemployment rate held at 4.2%.",
        ],
    },
    DemoArticle {
        title: "Tesla's Sales Plunge Across Europe Amid Rising Chinese Competition",
        dateline: "Berlin",
        image: "https://cdn.example.com/media/tesla-europe.webp",
        tags: &["business", "technology"],
        views: 146,
        paragraphs: &[
            "Tesla Inc. has suffered a dramatic decline in new vehicle sales across several of its key European markets in April, with latest figures revealing a steep 80.7% drop in Sweden.",
            "Chinese manufacturers such as BYD continued to gain ground with cheaper models, while the company's chief executive's politics weighed on the brand.",
        ],
    },
    DemoArticle {
        title: "Nvidia CEO Jensen Huang Warns China Is 'Not Behind' in AI Development",
        dateline: "Washington",
        image: "https://cdn.example.com/media/nvidia-china.webp",
        tags: &["technology", "business"],
        views: 131,
        paragraphs: &[
            "Nvidia CEO Jensen Huang cautioned on Wednesday that China is not lagging behind the United States in artificial intelligence development, adding that the gap between the two countries is narrowing.",
            "He urged Washington to rethink export controls that, he said, risk handing the Chinese market to domestic rivals.",
        ],
    },
    DemoArticle {
        title: "RAK's Residential Supply Set to Double by 2030: Report",
        dateline: "Ras Al Khaimah",
        image: "https://cdn.example.com/media/rak-supply.webp",
        tags: &["real-estate", "economy"],
        views: 123,
        paragraphs: &[
            "Ras Al Khaimah's residential real estate sector is set to witness substantial growth, with its residential supply expected to double by 2030, driven by rising tourism demand and new resort projects.",
        ],
    },
    DemoArticle {
        title: "Global Markets Waver, Oil Prices Slide as Tariff Fears Weigh on Growth Outlook",
        dateline: "London",
        image: "https://cdn.example.com/media/markets-waver.webp",
        tags: &["markets", "energy", "economy"],
        views: 132,
        paragraphs: &[
            "Global markets opened cautiously on Wednesday as mounting concern over U.S. trade policies and economic weakness put pressure on equities, commodities, and investor sentiment.",
        ],
    },
    DemoArticle {
        title: "Trump Calls Ceasefire Talks 'On Track' After Discussion with Ukraine's Zelensky",
        dateline: "Washington",
        image: "https://cdn.example.com/media/globaltimesnow_iSprDqi.com.webp",
        tags: &["politics", "ukraine"],
        views: 244,
        paragraphs: &[
            "U.S. President Donald Trump described his call with Ukrainian President Volodymyr Zelensky as \"very good,\" stating that efforts to negotiate a ceasefire in the ongoing Russia-Ukraine war are progressing. The conversation came a day after Trump's discussion with Russian President Vladimir Putin, which focused on de-escalating hostilities in the region.",
            "## Diplomatic Efforts for Ceasefire",
            "The hour-long conversation between Trump and Zelensky was aimed at reviewing the outcomes of Trump's prior discussions with Putin. According to a statement from the White House, Trump is working to align the demands of both Russia and Ukraine in hopes of moving toward a peaceful resolution.",
            "## Putin's Conditional Moratorium on Attacks",
            "During Trump's earlier call with Putin, the Russian leader agreed to a partial ceasefire, promising not to target Ukraine's energy infrastructure. However, he refused to commit to a full 30-day ceasefire, a condition Kyiv has been pushing for.",
            "## The Road Ahead",
            "As diplomatic efforts continue, both the U.S. and European allies are pushing to accelerate military aid to Ukraine, ensuring it remains equipped in case negotiations stall.",
        ],
    },
];

fn password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

fn describe(e: crate::error::AppError) -> String {
    format!("demo content: {}", e.problem().detail)
}

/// Fills the database when it has no accounts yet; otherwise leaves it alone.
pub async fn fill(state: &AppState) -> Result<(), String> {
    let users = state
        .db
        .read(db::users::count)
        .await
        .map_err(|e| e.to_string())?;
    if users > 0 {
        tracing::info!("the database has content already; --demo adds nothing");
        return Ok(());
    }
    let admin_password = password();
    let admin = accounts::create_user(
        state,
        CreateUser {
            email: Some("admin@newsdesk.example".into()),
            name: Some("Demo Admin".into()),
            role: Some("admin".into()),
            password: Some(admin_password.clone()),
            bio: None,
            avatar_url: None,
        },
    )
    .await
    .map_err(describe)?;
    let reporter = accounts::create_user(
        state,
        CreateUser {
            email: Some("jane.doe@newsdesk.example".into()),
            name: Some("Jane Doe".into()),
            role: Some("author".into()),
            password: Some(password()),
            bio: Some("Covers diplomacy and the economy from Washington.".into()),
            avatar_url: Some("https://cdn.example.com/avatars/jane-doe.webp".into()),
        },
    )
    .await
    .map_err(describe)?;
    let as_admin = Caller::local(Access::User(Principal {
        user_id: admin.id,
        role: Role::Admin,
        name: admin.name.clone(),
        token_id: None,
    }));
    let as_reporter = Caller::local(Access::User(Principal {
        user_id: reporter.id,
        role: Role::Author,
        name: reporter.name.clone(),
        token_id: None,
    }));
    for (name, description) in TAGS {
        tags::create(
            state,
            &as_admin,
            CreateTag {
                name: Some((*name).into()),
                slug: None,
                description: Some((*description).into()),
            },
        )
        .await
        .map_err(describe)?;
    }
    let mut slugs = Vec::new();
    for (i, a) in ARTICLES.iter().enumerate() {
        // Oldest first, an hour apart, so the lead story is the newest.
        let published =
            chrono::Utc::now() - chrono::Duration::hours((ARTICLES.len() - i) as i64 * 3);
        let created = articles::create(
            state,
            &as_reporter,
            CreateArticle {
                title: Some(a.title.into()),
                body: Some(a.paragraphs.join("\n\n")),
                dateline: Some(a.dateline.into()),
                image: Some(ImageInput {
                    url: Some(a.image.into()),
                    alt: Some(a.title.into()),
                    caption: None,
                    credit: Some("© Image Copyrights Title".into()),
                }),
                tags: Some(a.tags.iter().map(|t| t.to_string()).collect()),
                status: Some("published".into()),
                published_at: Some(published.to_rfc3339()),
                ..Default::default()
            },
        )
        .await
        .map_err(describe)?;
        let (id, views) = (created.summary.id, a.views);
        state
            .db
            .write(move |c| db::articles::add_views(c, id, views))
            .await
            .map_err(|e| e.to_string())?;
        slugs.push(created.summary.slug);
    }
    let lead = slugs.last().cloned().unwrap_or_default();
    articles::set_related(state, &as_admin, &lead, slugs[..4].to_vec())
        .await
        .map_err(describe)?;
    articles::create(
        state,
        &as_reporter,
        CreateArticle {
            title: Some("Draft: What a Ceasefire Would Mean for Europe's Energy Prices".into()),
            body: Some("Notes for the follow-up piece. Not for publication yet.".into()),
            tags: Some(vec!["energy".into(), "ukraine".into()]),
            ..Default::default()
        },
    )
    .await
    .map_err(describe)?;
    let first = comments::add(
        state,
        &as_admin,
        &lead,
        AddComment {
            author_name: Some("Maria K.".into()),
            author_email: Some("maria@example.com".into()),
            body: Some(
                "Good summary of where the talks stand. Any word on the energy moratorium?".into(),
            ),
            parent_id: None,
            website: None,
        },
    )
    .await
    .map_err(describe)?;
    comments::add(
        state,
        &as_admin,
        &lead,
        AddComment {
            author_name: Some("Jane Doe".into()),
            author_email: Some("jane.doe@newsdesk.example".into()),
            body: Some("Not yet: we will update the story as soon as Kyiv responds.".into()),
            parent_id: Some(first.id),
            website: None,
        },
    )
    .await
    .map_err(describe)?;
    comments::add(
        state,
        &Caller::local(Access::Anonymous),
        &lead,
        AddComment {
            author_name: Some("Anonymous reader".into()),
            author_email: Some("reader@example.com".into()),
            body: Some("This one waits in the moderation queue.".into()),
            parent_id: None,
            website: None,
        },
    )
    .await
    .map_err(describe)?;
    println!();
    println!(
        "  Demo content is ready: {} articles, {} tags.",
        ARTICLES.len() + 1,
        TAGS.len()
    );
    println!("  Demo admin (shown once; change it with PATCH /api/v1/me):");
    println!("    email:    {}", admin.email);
    println!("    password: {admin_password}");
    println!();
    Ok(())
}
