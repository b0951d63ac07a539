"""Make notebook pages work in every language.

1. mkdocs-static-i18n rebuilds the Files collection late (its on_files runs at priority -100) from plain File
   objects, which drops mkdocs-jupyter's NotebookFile wrapper: the page would be written with the notebook's raw
   JSON as its text (ultrabug/mkdocs-static-i18n#198). on_files below runs after i18n and wraps each .ipynb file
   again, keeping the per-language destination and URL that i18n chose, so mkdocs-jupyter converts it to HTML.
2. mkdocs-jupyter slugifies headings to ASCII, twice and differently: the table of contents (Python-Markdown's
   toc) turns a Chinese heading into "_1", the page body into an empty id, so the zh-TW table of contents links
   nowhere. Both are switched to Python-Markdown's Unicode slugify, which keeps CJK characters and gives English
   headings the same ids as before.
3. mkdocs-jupyter leaves a notebook's links as written, to files (`02-Prune.ipynb`, `../../glossary.md#wanda`), so
   they work in Jupyter and on GitHub but not on the site, where each page is a folder. on_page_content rewrites
   each relative link that names a file of the site to that file's page URL, keeping the fragment.
"""

import posixpath
import re

import markdown
import mkdocs_jupyter.convert
import mkdocs_jupyter.plugin
from markdown.extensions.toc import TocExtension, slugify_unicode
from mkdocs.plugins import event_priority
from mkdocs_jupyter.plugin import NotebookFile


def _markdown_toc_unicode(markdown_source, toc_depth):
    md = markdown.Markdown(extensions=[TocExtension(toc_depth=toc_depth, slugify=slugify_unicode)])
    md.convert(markdown_source)
    return md.toc_tokens


mkdocs_jupyter.plugin._get_markdown_toc = _markdown_toc_unicode
mkdocs_jupyter.convert.slugify = lambda text: slugify_unicode(text, "-")


@event_priority(-200)
def on_files(files, config):
    for file in [f for f in files if f.src_uri.endswith(".ipynb") and not isinstance(f, NotebookFile)]:
        page = NotebookFile(file, config.use_directory_urls, config.site_dir)
        page.dest_path, page.abs_dest_path, page.url = file.dest_path, file.abs_dest_path, file.url
        files.remove(file)
        files.append(page)
    return files


RELATIVE_HREF = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|/|#)(?P<path>[^"#]+\.(?:md|ipynb))(?P<fragment>#[^"]*)?"')


def on_page_content(html, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html

    def to_page_url(match):
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), match["path"]))
        target = files.get_file_from_path(path)
        if target is None:
            return match[0]  # left for the site's link check to report
        return f'href="{target.url_relative_to(page.file)}{match["fragment"] or ""}"'

    return RELATIVE_HREF.sub(to_page_url, html)
