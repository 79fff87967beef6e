//! The community's poster (海报, issue 12): a QR code and the link to the hub's wish
//! form for this community, for residents to scan and submit a wish (群众点单). Printed
//! on A4 from the node's page; the page's print style hides everything but the poster.

use maud::{PreEscaped, html};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::names::Language;

use super::html::{StatusBar, page, t};

/// The poster page: what a resident sees on the wall, and a hint for the worker.
pub fn poster_page(
    lang: Language,
    code: CommunityCode,
    link: &str,
    qr_svg: &str,
    status: &StatusBar,
) -> String {
    let body = html! {
        div.poster #poster {
            p.poster-title { (status.community) }
            p.poster-lead { "有困难，扫一扫，提交微心愿" }
            // The SVG is the qrcode crate's drawing of the link: rects and a path only.
            div.qr #poster-qr { (PreEscaped(qr_svg)) }
            p { "社区代码 " b { (code.to_string()) } }
            p.card-link { a #poster-link href=(link) { (link) } }
            p.hint { "姓名、电话和住址加密后只有本社区能看到。提交后请记下回执码，可随时查询进度。" }
        }
        @if !link.starts_with("http") {
            p.flag.no-print #no-hub-web {
                (t(
                    lang,
                    "本节点还没有设置市（区）平台的网址，链接只有路径部分：请运维人员为本节点设置市（区）平台网址（init --hub-web）。",
                    "This node has no hub web address, so the link is only a path (wishtree-node init --hub-web).",
                ))
            }
        }
        p.no-print {
            button type="button" onclick="window.print()" { (t(lang, "打印海报", "Print the poster")) }
        }
    };
    page(
        lang,
        t(lang, "居民点单海报", "Residents' poster"),
        status,
        "/poster",
        body,
    )
}
