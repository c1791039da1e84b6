// Ant Design's Form.Item hands `aria-required` to a Select's wrapper <div> as well as to its
// combobox input; on a div without a role the attribute is invalid ARIA. The input keeps it.
export function fixSelectAria(root: HTMLElement): () => void {
  const strip = () => root.querySelectorAll("div.ant-select[aria-required]").forEach((el) => el.removeAttribute("aria-required"));
  const observer = new MutationObserver(strip);
  observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-required"] });
  strip();
  return () => observer.disconnect();
}
