#include "dermreader/records/ModelRegistry.h"

#include "dermreader/engine/ModelManifest.h"

namespace dermreader::records {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSelectModels = R"sql(
    SELECT m.id, m.bundle, m.name, m.description, m.created, m.taxonomy_digest, m.training,
           m.metrics, m.registered_at,
           m.id = (SELECT model_id FROM model_activations ORDER BY id DESC LIMIT 1)
    FROM models m)sql";

RegisteredModel readModel(const Statement& row) {
    return {row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4),
            row.text(5),    row.text(6), row.text(7), row.text(8), row.integer(9) != 0};
}

void requireTrainer(const Database& database, const User& user, std::string_view action) {
    requireRole(database, user, {Role::Trainer, Role::Coordinator}, action);
}

}  // namespace

RegisteredModel ModelRegistry::registerBundle(const User& user, const fs::path& bundle) {
    requireTrainer(database_, user, "register models");
    const engine::ModelManifest manifest = engine::readManifest(bundle);
    const std::string path = fs::absolute(manifest.bundleDir).lexically_normal().string();
    database_.transaction([&] {
        database_
            .prepare(
                "INSERT INTO models(bundle, name, description, created, taxonomy_digest, "
                "training, metrics, registered_at, registered_by) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(bundle) DO UPDATE SET "
                "name = excluded.name, description = excluded.description, "
                "created = excluded.created, taxonomy_digest = excluded.taxonomy_digest, "
                "training = excluded.training, metrics = excluded.metrics")
            .bind(1, path)
            .bind(2, manifest.name)
            .bind(3, manifest.description)
            .bind(4, manifest.created)
            .bind(5, manifest.taxonomyDigest)
            .bind(6, manifest.trainingJson)
            .bind(7, manifest.metricsJson)
            .bind(8, nowUtc())
            .bind(9, user.id)
            .run();
        audit(database_, user, "register model", manifest.name + " at " + path);
    });
    Statement statement = database_.prepare(std::string(kSelectModels) + " WHERE m.bundle = ?1");
    statement.bind(1, path).step();
    return readModel(statement);
}

void ModelRegistry::activate(const User& user, std::int64_t model) {
    requireTrainer(database_, user, "activate models");
    const auto entry = find(model);
    if (!entry)
        throw std::invalid_argument("there is no registered model " + std::to_string(model));
    if (entry->taxonomyDigest != taxonomy_.digest()) {
        throw std::invalid_argument(
            "model '" + entry->name + "' was trained with another taxonomy (digest " +
            entry->taxonomyDigest.substr(0, 12) + "…, this program's " +
            taxonomy_.digest().substr(0, 12) + "…): it cannot be activated");
    }
    if (!fs::is_regular_file(entry->bundle / "manifest.json"))
        throw std::invalid_argument("model '" + entry->name + "': its bundle '" +
                                    entry->bundle.string() + "' is gone");
    database_.transaction([&] {
        database_
            .prepare(
                "INSERT INTO model_activations(model_id, activated_at, user_id) "
                "VALUES (?1, ?2, ?3)")
            .bind(1, model)
            .bind(2, nowUtc())
            .bind(3, user.id)
            .run();
        audit(database_, user, "activate model", entry->name + " (" + entry->bundle.string() + ")");
    });
}

bool ModelRegistry::rollback(const User& user) {
    requireTrainer(database_, user, "roll back models");
    const auto current = active();
    if (!current)
        return false;
    // The most recent activation of another model.
    Statement previous = database_.prepare(
        "SELECT model_id FROM model_activations WHERE model_id != ?1 ORDER BY id DESC LIMIT 1");
    if (!previous.bind(1, current->id).step())
        return false;
    activate(user, previous.integer(0));
    audit(database_, user, "roll back model", "from " + current->name);
    return true;
}

std::vector<RegisteredModel> ModelRegistry::list() const {
    Statement statement = database_.prepare(std::string(kSelectModels) + " ORDER BY m.id");
    std::vector<RegisteredModel> models;
    while (statement.step())
        models.push_back(readModel(statement));
    return models;
}

std::optional<RegisteredModel> ModelRegistry::active() const {
    for (auto& model : list()) {
        if (model.active)
            return model;
    }
    return std::nullopt;
}

std::optional<RegisteredModel> ModelRegistry::find(std::int64_t model) const {
    Statement statement = database_.prepare(std::string(kSelectModels) + " WHERE m.id = ?1");
    if (!statement.bind(1, model).step())
        return std::nullopt;
    return readModel(statement);
}

}  // namespace dermreader::records
