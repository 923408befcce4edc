"""An author's Markdown as safe HTML: what phones and the public pages show.

Authors write Markdown only (CommonMark and tables). Raw HTML in it is shown as
text, never passed on; links may only be http(s), mailto or tel; an image is shown
as its words (a policy page must not fetch anything from elsewhere). The phone still
passes what it receives through its own allow-list before showing it.
"""

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")


def _markdown():
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.renderer.rules["image"] = _image_as_words
    md.validateLink = lambda url: url.strip().lower().startswith(LINK_SCHEMES)
    # Every heading one level down: the page's own title is the h1.
    md.renderer.rules["heading_open"] = _heading("open")
    md.renderer.rules["heading_close"] = _heading("close")
    return md


def _image_as_words(tokens, idx, options, env):
    """An image is shown as its words (``![医保卡样式](…)`` → 医保卡样式): a policy page
    loads nothing from elsewhere."""
    return escapeHtml(tokens[idx].content)


def _heading(which):
    def render(tokens, idx, options, env):
        level = min(int(tokens[idx].tag[1]) + 1, 6)
        return f"<h{level}>" if which == "open" else f"</h{level}>\n"
    return render


_MD = _markdown()


def render(body):
    """The HTML of Markdown ``body``."""
    return _MD.render(body or "")
