#pragma once
// The model registry: every model bundle the workstation knows, with its card and validation
// metrics, and which one the workstation uses. Activation is a history, so rolling back
// returns to the model active before. A model trained on another taxonomy (its digest
// differs from the program's) can be registered, but never activated.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/records/Accounts.h"
#include "dermreader/records/Database.h"
#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::records {

struct RegisteredModel {
    std::int64_t id = 0;
    std::filesystem::path bundle;
    std::string name;
    std::string description;
    std::string created;
    std::string taxonomyDigest;
    std::string trainingJson;
    std::string metricsJson;
    std::string registeredAt;
    bool active = false;
};

class ModelRegistry {
  public:
    ModelRegistry(Database& database, const taxonomy::Taxonomy& taxonomy)
        : database_(database), taxonomy_(taxonomy) {}

    // Trainers and coordinators. Reads the bundle's manifest (throws engine::ModelError for a
    // bad bundle); registering a bundle again refreshes its card and metrics.
    RegisteredModel registerBundle(const User& user, const std::filesystem::path& bundle);
    // Trainers and coordinators. Throws std::invalid_argument for a model whose taxonomy
    // digest is not the program's, or whose bundle is gone.
    void activate(const User& user, std::int64_t model);
    // Activates the model that was active before the current one; false if there is none.
    bool rollback(const User& user);

    std::vector<RegisteredModel> list() const;
    std::optional<RegisteredModel> active() const;
    std::optional<RegisteredModel> find(std::int64_t model) const;

  private:
    Database& database_;
    const taxonomy::Taxonomy& taxonomy_;
};

}  // namespace dermreader::records
