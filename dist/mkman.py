"""Makes graphcerts(1) from dist/graphcerts.1.in and the option table, as `graphcerts serve
--help` prints it, so the manual names every option a build has.
Usage: mkman.py GRAPHCERTS_BIN TEMPLATE OUT"""
import re
import subprocess
import sys


def roff(text):
    return text.replace("\\", "\\e").replace("-", "\\-")


def main(binary, template, out):
    helptext = subprocess.run([binary, "serve", "--help"], check=True, stdout=subprocess.PIPE,
                              text=True).stdout
    items = []
    for line in helptext.split("\nOptions:\n", 1)[1].splitlines():
        m = re.match(r"^  (--[a-z0-9-]+)(?: (\S+))?\s+(.*)$", line)
        if not m or m.group(1) == "--help":
            continue
        flag, metavar, desc = m.groups()
        head = ".BI %s \" %s\"" % (roff(flag), roff(metavar)) if metavar else ".B %s" % roff(flag)
        desc = desc[0].upper() + desc[1:]
        items.append(".TP\n%s\n%s." % (head, roff(desc)))
    with open(template, encoding="utf-8") as f:
        page = f.read()
    with open(out, "w", encoding="utf-8") as f:
        f.write(page.replace("\n@SERVE_OPTIONS@\n", "\n" + "\n".join(items) + "\n", 1))


if __name__ == "__main__":
    main(*sys.argv[1:4])
