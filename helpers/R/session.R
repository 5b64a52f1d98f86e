# Start a session notebook in R: the data folder, plot sizes and the course's look.
#   qm_start(data_dir)    # data_dir: the notebook's parameter ("" keeps QM_DATA_DIR)
#   say("The mean is **", round(m, 2), "**.")   # a sentence from computed values, as Markdown

qm_start <- function(data_dir = "") {
  if (nzchar(data_dir)) Sys.setenv(QM_DATA_DIR = path.expand(data_dir))
  options(repr.plot.width = 9, repr.plot.height = 5.5, width = 110)
  if (requireNamespace("ggplot2", quietly = TRUE)) {
    ggplot2::theme_set(ggplot2::theme_minimal(base_size = 12))
  }
  invisible(NULL)
}

say <- function(...) {
  text <- paste0(...)
  if (requireNamespace("IRdisplay", quietly = TRUE) && isTRUE(getOption("jupyter.in_kernel"))) {
    IRdisplay::display_markdown(text)
  } else {
    cat(text, "\n", sep = "")
  }
  invisible(text)
}
