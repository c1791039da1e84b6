// Runs once, on the first start of an empty data volume (the image's docker-entrypoint-initdb.d):
// the services' user may read and write the Kuaiban databases and nothing else.
const services = ["gateway", "leads", "teams", "branches", "policy", "sla", "supervision", "notifier"];
db.getSiblingDB("admin").createUser({
  user: "kuaiban",
  pwd: process.env.KUAIBAN_MONGO_PASSWORD,
  roles: services.map((service) => ({ role: "readWrite", db: `kuaiban_${service}` })),
});
