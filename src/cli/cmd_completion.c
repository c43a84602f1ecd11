/* `graphcerts completion bash`: prints a bash completion script made from the subcommand table
 * and each command's option table, so a new option completes without editing a script.
 * Options whose value is a file (metavar FILE, PATH or OUT) complete file names; other values
 * complete nothing; words not starting with '-' complete file names (backup's OUT and the like). */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool takes_file(const gc_opt *o)
{
    static const char *const file_metavars[] = {"FILE", "PATH", "OUT", "DIR", NULL};
    for (size_t i = 0; o->metavar && file_metavars[i]; i++)
        if (strcmp(o->metavar, file_metavars[i]) == 0)
            return true;
    return false;
}

/* --name VALUE: not a flag, nor a positional argument (those complete file names anyway) */
static bool takes_value(const gc_opt *o)
{
    return o->type != GC_OPT_FLAG && o->type != GC_OPT_ARG;
}

/* One `case` arm: the options of c, which ones take a file and which another value. */
static void print_options(FILE *f, const gc_cli_cmd *c, const char *indent)
{
    if (!c->n_opts)
        return;
    fprintf(f, "%s    %s)\n%s        opts=\"", indent, c->name, indent);
    for (size_t k = 0; k < c->n_opts; k++)
        if (c->opts[k].type != GC_OPT_ARG)
            fprintf(f, "--%s ", c->opts[k].name);
    fprintf(f, "--help\"\n%s        files=\"", indent);
    for (size_t k = 0, n = 0; k < c->n_opts; k++)
        if (takes_value(&c->opts[k]) && takes_file(&c->opts[k]))
            fprintf(f, "%s--%s", n++ ? " " : "", c->opts[k].name);
    fprintf(f, "\"\n%s        values=\"", indent);
    for (size_t k = 0, n = 0; k < c->n_opts; k++)
        if (takes_value(&c->opts[k]) && !takes_file(&c->opts[k]))
            fprintf(f, "%s--%s", n++ ? " " : "", c->opts[k].name);
    fprintf(f, "\" ;;\n");
}

static void print_bash(FILE *f)
{
    fprintf(f, "# bash completion for graphcerts, made by `graphcerts completion bash`.\n"
               "# Install: graphcerts completion bash > /etc/bash_completion.d/graphcerts\n"
               "_graphcerts() {\n"
               "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
               "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
               "        COMPREPLY=($(compgen -W \"");
    for (size_t i = 0; gc_cli_commands[i]; i++)
        fprintf(f, "%s ", gc_cli_commands[i]->name);
    fprintf(f, "--help --version\" -- \"$cur\"))\n"
               "        return\n"
               "    fi\n"
               "    local opts=--help files= values=\n"
               "    case ${COMP_WORDS[1]} in\n");
    for (size_t i = 0; gc_cli_commands[i]; i++) {
        const gc_cli_cmd *c = gc_cli_commands[i];
        if (c->verbs) {
            fprintf(f, "    %s)\n        if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
                       "            COMPREPLY=($(compgen -W \"", c->name);
            for (size_t v = 0; c->verbs[v]; v++)
                fprintf(f, "%s ", c->verbs[v]->name);
            fprintf(f, "--help\" -- \"$cur\"))\n            return\n        fi\n"
                       "        case ${COMP_WORDS[2]} in\n");
            for (size_t v = 0; c->verbs[v]; v++)
                print_options(f, c->verbs[v], "        ");
            fprintf(f, "        esac ;;\n");
            continue;
        }
        print_options(f, c, "");
    }
    fprintf(f, "    esac\n"
               "    case \" $files \" in *\" $prev \"*) COMPREPLY=($(compgen -f -- \"$cur\")); return ;; esac\n"
               "    case \" $values \" in *\" $prev \"*) COMPREPLY=(); return ;; esac\n"
               "    case $cur in\n"
               "    -*) COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")) ;;\n"
               "    *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
               "    esac\n"
               "}\n"
               "complete -o filenames -F _graphcerts graphcerts\n");
}

static int completion_run(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "bash") == 0) {
        print_bash(stdout);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: graphcerts completion bash\n\n"
               "Prints a bash completion script for every command and option. Load it with\n"
               "  source <(graphcerts completion bash)\n");
        return 0;
    }
    fprintf(stderr, "graphcerts: usage: graphcerts completion bash (the only shell supported)\n");
    return 2;
}

const gc_cli_cmd gc_cli_cmd_completion = {
    .name = "completion",
    .summary = "print a bash completion script",
    .run = completion_run,
};
